import { useEffect, useRef } from 'react';
import { VIRIDIS_TABLE } from './colormap';

/** Horizontal viridis bar from 0 to 1 with the threshold marked; drawn, so tests can read its pixels. */
export function ColorBar({ threshold = 0, label, testId = 'colorbar' }: { threshold?: number; label: string; testId?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    c.width = 256;
    c.height = 10;
    const img = ctx.createImageData(256, 10);
    for (let y = 0; y < 10; y++)
      for (let x = 0; x < 256; x++) {
        const [r, g, b] = VIRIDIS_TABLE[x]!;
        const o = (y * 256 + x) * 4;
        const hidden = x / 255 <= threshold && threshold > 0;
        img.data[o] = hidden ? r * 0.3 : r;
        img.data[o + 1] = hidden ? g * 0.3 : g;
        img.data[o + 2] = hidden ? b * 0.3 : b;
        img.data[o + 3] = 255;
      }
    ctx.putImageData(img, 0, 0);
  }, [threshold]);
  return (
    <div className="colorbar" title={`${label}: 0 (low) to 1 (high), viridis`}>
      <span className="muted">{label}</span>
      <span>0</span>
      <canvas ref={ref} data-testid={testId} className="colorbar-canvas" />
      <span>1</span>
    </div>
  );
}
