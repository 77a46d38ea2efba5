/**
 * Raster pieces of the report: the scan as seen, the scan with the attribution map blended
 * over it, and the colour bar. Pure functions over RGB buffers (no canvas in the main process).
 */
import { overlayAlpha, viridis } from '../api/colormap';

export interface GrayImage {
  width: number;
  height: number;
  gray: Uint8Array;
}
export interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}
export interface MapGrid {
  width: number;
  height: number;
  values: Float32Array;
}

/** Bilinear sample of a row-major grid at continuous pixel-centre coordinates. */
function sample(values: ArrayLike<number>, w: number, h: number, x: number, y: number): number {
  const cx = Math.min(w - 1, Math.max(0, x));
  const cy = Math.min(h - 1, Math.max(0, y));
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(w - 1, x0 + 1);
  const y1 = Math.min(h - 1, y0 + 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const top = values[y0 * w + x0] * (1 - fx) + values[y0 * w + x1] * fx;
  const bottom = values[y1 * w + x0] * (1 - fx) + values[y1 * w + x1] * fx;
  return top * (1 - fy) + bottom * fy;
}

/** Output size: the scan's aspect, at most maxSide pixels on the long side (print resolution is plenty). */
export function outputSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The scan resampled to `size` as RGB, and the same with the map blended in viridis. */
export function composeScanAndOverlay(scan: GrayImage | null, map: MapGrid | null, maxSide = 512): { scan: RgbImage | null; overlay: RgbImage | null } {
  const srcW = scan?.width ?? map?.width ?? 0;
  const srcH = scan?.height ?? map?.height ?? 0;
  if (!srcW || !srcH) return { scan: null, overlay: null };
  const { width, height } = outputSize(srcW, srcH, maxSide);
  const plain = scan ? new Uint8Array(width * height * 3) : null;
  const blended = map ? new Uint8Array(width * height * 3) : null;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      // Pixel centre of the output in source (scan) coordinates.
      const sx = ((x + 0.5) * srcW) / width - 0.5;
      const sy = ((y + 0.5) * srcH) / height - 0.5;
      const g = scan ? sample(scan.gray, scan.width, scan.height, sx, sy) : 0;
      if (plain) plain[i] = plain[i + 1] = plain[i + 2] = Math.round(g);
      if (map && blended) {
        const mx = ((x + 0.5) * map.width) / width - 0.5;
        const my = ((y + 0.5) * map.height) / height - 0.5;
        const v = sample(map.values, map.width, map.height, mx, my);
        const a = scan ? overlayAlpha(v) : 1;
        const c = viridis(v);
        blended[i] = Math.round(g * (1 - a) + c[0] * a);
        blended[i + 1] = Math.round(g * (1 - a) + c[1] * a);
        blended[i + 2] = Math.round(g * (1 - a) + c[2] * a);
      }
    }
  }
  return { scan: plain ? { width, height, rgb: plain } : null, overlay: blended ? { width, height, rgb: blended } : null };
}

/** A horizontal viridis bar, 0 on the left. */
export function colourBar(width = 256, height = 8): RgbImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let x = 0; x < width; x++) {
    const c = viridis(x / (width - 1));
    for (let y = 0; y < height; y++) rgb.set(c, (y * width + x) * 3);
  }
  return { width, height, rgb };
}
