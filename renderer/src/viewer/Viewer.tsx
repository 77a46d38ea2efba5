import { useEffect, useRef, useState } from 'react';
import type { FramePixels, ScanSummary } from '../../../electron/api/contract';
import { defaultWindow, renderToRgba, type Window } from './windowing';

interface Props {
  scan: ScanSummary;
  frame: FramePixels;
}

/** Scan viewer: window/level by left-drag (horizontal = width, vertical = level), fit to window. */
export function Viewer({ scan, frame }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [win, setWin] = useState<Window>(() => scan.windows[0] ?? defaultWindow(scan.valueRange));
  const [invert, setInvert] = useState(scan.invertedByDefault);
  const drag = useRef<{ x: number; y: number; start: Window } | null>(null);

  useEffect(() => {
    setWin(scan.windows[0] ?? defaultWindow(scan.valueRange));
    setInvert(scan.invertedByDefault);
  }, [scan]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    canvas.width = frame.width;
    canvas.height = frame.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const image = ctx.createImageData(frame.width, frame.height);
    renderToRgba(frame.pixels, frame.channels, win, invert, image.data);
    ctx.putImageData(image, 0, 0);
  }, [frame, win, invert]);

  const range = Math.max(1, scan.valueRange.max - scan.valueRange.min);
  const onPointerDown = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (e.button !== 0) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { x: e.clientX, y: e.clientY, start: win };
  };
  const onPointerMove = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const d = drag.current;
    if (!d) return;
    // One screen pixel moves the window by 1/500 of the value range, as in common viewers.
    const k = range / 500;
    setWin({ center: d.start.center + (e.clientY - d.y) * k, width: Math.max(1, d.start.width + (e.clientX - d.x) * k) });
  };
  const onPointerUp = () => {
    drag.current = null;
  };

  return (
    <div className="viewer">
      <div className="viewer-bar">
        <span data-testid="wl">
          W {Math.round(win.width)} / L {Math.round(win.center)}
        </span>
        {scan.windows.map((p, i) => (
          <button key={p.name + i} onClick={() => setWin({ center: p.center, width: p.width })}>
            {p.name}
          </button>
        ))}
        <button onClick={() => setInvert((v) => !v)}>Invert</button>
        <button onClick={() => setWin(scan.windows[0] ?? defaultWindow(scan.valueRange))}>Reset</button>
      </div>
      <div className="viewer-stage">
        <canvas
          ref={canvasRef}
          data-testid="scan-canvas"
          className="scan-canvas"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
        />
      </div>
    </div>
  );
}
