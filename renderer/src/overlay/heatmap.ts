/**
 * The attribution overlay: a normalized [0,1] map in scan coordinates drawn with viridis.
 * Zero is fully transparent and alpha grows linearly with the value up to the chosen opacity,
 * the PDF report's rule, so the scan stays readable where the model did not look; values at or
 * below the threshold are hidden altogether.
 */
import { overlayAlpha as sharedAlpha } from '../../../electron/api/colormap';
import { VIRIDIS_TABLE } from './colormap';

export interface OverlayStyle {
  opacity: number;
  threshold: number;
}

export function overlayAlpha(value: number, style: OverlayStyle): number {
  if (!(value > 0) || value <= style.threshold) return 0;
  return Math.round(255 * sharedAlpha(value, Math.min(1, Math.max(0, style.opacity))));
}

export function renderHeatmap(values: Float32Array, style: OverlayStyle, out: Uint8ClampedArray): void {
  const n = Math.min(values.length, out.length / 4);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const o = i * 4;
    const a = overlayAlpha(v, style);
    if (a === 0) {
      out[o] = out[o + 1] = out[o + 2] = out[o + 3] = 0;
      continue;
    }
    const c = VIRIDIS_TABLE[Math.round(Math.min(1, v) * 255)]!;
    out[o] = c[0];
    out[o + 1] = c[1];
    out[o + 2] = c[2];
    out[o + 3] = a;
  }
}

/** The map value at scan pixel (x, y), or null outside; the map may be coarser than the scan. */
export function sampleMap(
  map: { width: number; height: number; values: Float32Array },
  scanW: number,
  scanH: number,
  x: number,
  y: number,
): number | null {
  if (x < 0 || y < 0 || x >= scanW || y >= scanH) return null;
  const mx = Math.min(map.width - 1, Math.floor((x * map.width) / scanW));
  const my = Math.min(map.height - 1, Math.floor((y * map.height) / scanH));
  const v = map.values[my * map.width + mx];
  return v === undefined ? null : v;
}

/** Checks an explanation's map before drawing: a wrong size or NaN must not draw a wrong picture. */
export function mapProblem(map: { width: number; height: number; values: Float32Array }): string | null {
  if (!(map.width > 0 && map.height > 0)) return `the attribution map has no size (${map.width}×${map.height})`;
  if (map.values.length !== map.width * map.height) {
    return `the attribution map holds ${map.values.length} values, ${map.width}×${map.height} expected`;
  }
  let bad = 0;
  for (let i = 0; i < map.values.length; i++) if (!Number.isFinite(map.values[i]!)) bad++;
  if (bad > 0) return `the attribution map has ${bad} values that are not numbers (NaN or infinite)`;
  return null;
}
