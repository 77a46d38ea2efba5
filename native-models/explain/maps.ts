/**
 * From per-patch scores to a map: PyTorch `F.interpolate(mode="bilinear", align_corners=False)`
 * to the model input size, min-max normalization, and resampling into scan coordinates
 * through the preprocessing transform.
 */
import type { ModelToScan } from '../clip/preprocess';

/** Bilinear upsampling with PyTorch align_corners=False semantics (negative source coords clamp to 0). */
export function upsampleBilinear(src: ArrayLike<number>, gh: number, gw: number, oh: number, ow: number): Float64Array {
  const out = new Float64Array(oh * ow);
  const ry = gh / oh;
  const rx = gw / ow;
  const x0s = new Int32Array(ow), x1s = new Int32Array(ow), wxs = new Float64Array(ow);
  // Stryker disable next-line EqualityOperator: one step past the end writes past a typed array (ignored) or a cell the next row overwrites
  for (let x = 0; x < ow; x++) {
    const sx = Math.max(0, (x + 0.5) * rx - 0.5);
    const x0 = Math.floor(sx);
    x0s[x] = x0;
    x1s[x] = Math.min(x0 + 1, gw - 1);
    wxs[x] = sx - x0;
  }
  // Stryker disable next-line EqualityOperator: one step past the end writes past a typed array (ignored) or a cell the next row overwrites
  for (let y = 0; y < oh; y++) {
    const sy = Math.max(0, (y + 0.5) * ry - 0.5);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, gh - 1);
    const wy = sy - y0;
    // Stryker disable next-line EqualityOperator: one step past the end writes past a typed array (ignored) or a cell the next row overwrites
    for (let x = 0; x < ow; x++) {
      const wx = wxs[x];
      const a = src[y0 * gw + x0s[x]], b = src[y0 * gw + x1s[x]];
      const c = src[y1 * gw + x0s[x]], d = src[y1 * gw + x1s[x]];
      out[y * ow + x] = (1 - wy) * ((1 - wx) * a + wx * b) + wy * ((1 - wx) * c + wx * d);
    }
  }
  return out;
}

/** Min-max normalization to [0, 1]; null when the values are constant or not finite. */
export function minMax(values: ArrayLike<number>): Float64Array | null {
  let mn = Infinity, mx = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) return null;
    // Stryker disable next-line EqualityOperator: on equal values < and <= keep the same minimum
    if (v < mn) mn = v;
    // Stryker disable next-line EqualityOperator: on equal values > and >= keep the same maximum
    if (v > mx) mx = v;
  }
  if (!(mx > mn)) return null;
  const out = new Float64Array(values.length);
  // Stryker disable next-line EqualityOperator: writing one past a Float64Array is ignored
  for (let i = 0; i < values.length; i++) out[i] = (values[i] - mn) / (mx - mn);
  return out;
}

export type NormalizeProblem = 'not-finite' | 'all-zero' | 'constant';

/**
 * Min-max normalization, or why there is nothing to show: NaN or ∞ among the values, all zero,
 * or the same everywhere (an attribution that does not tell its parts apart is no map).
 */
export function normalize(values: ArrayLike<number>): { values: Float64Array; problem: null } | { values: null; problem: NormalizeProblem } {
  let allZero = true;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return { values: null, problem: 'not-finite' };
    if (values[i] !== 0) allZero = false;
  }
  const n = minMax(values);
  return n ? { values: n, problem: null } : { values: null, problem: allZero ? 'all-zero' : 'constant' };
}

export const MAX_MAP_SIDE = 512;

/** Output size of a scan-space map: the scan size, reduced so the longest side is ≤ maxSide. */
export function scanMapSize(t: ModelToScan, maxSide = MAX_MAP_SIDE): { width: number; height: number } {
  const s = Math.min(1, maxSide / Math.max(t.scanWidth, t.scanHeight));
  return { width: Math.max(1, Math.round(t.scanWidth * s)), height: Math.max(1, Math.round(t.scanHeight * s)) };
}

/**
 * Resamples a model-space map (modelHeight × modelWidth, row-major) into scan coordinates
 * (bilinear at each output pixel centre). Parts of the scan the model did not see get 0.
 */
export function modelMapToScan(map: ArrayLike<number>, t: ModelToScan, maxSide = MAX_MAP_SIDE): { width: number; height: number; values: Float32Array } {
  const { width, height } = scanMapSize(t, maxSide);
  const W = t.modelWidth, H = t.modelHeight;
  const values = new Float32Array(width * height);
  const fx = t.scanWidth / width, fy = t.scanHeight / height;
  const lastRow = H - 1, lastCol = W - 1;
  // Stryker disable next-line EqualityOperator: writing one row past a Float32Array is ignored
  for (let j = 0; j < height; j++) {
    const sy = (j + 0.5) * fy;
    const my = (sy - t.offsetY) / t.scaleY; // continuous model coordinate
    if (my < 0 || my > H) continue;
    const py = Math.min(Math.max(my - 0.5, 0), lastRow);
    const y0 = Math.floor(py), y1 = Math.min(y0 + 1, lastRow), wy = py - y0;
    for (let i = 0; i < width; i++) {
      const sx = (i + 0.5) * fx;
      const mx = (sx - t.offsetX) / t.scaleX;
      if (mx < 0 || mx > W) continue;
      const px = Math.min(Math.max(mx - 0.5, 0), lastCol);
      const x0 = Math.floor(px), x1 = Math.min(x0 + 1, lastCol), wx = px - x0;
      values[j * width + i] =
        (1 - wy) * ((1 - wx) * map[y0 * W + x0] + wx * map[y0 * W + x1]) + wy * ((1 - wx) * map[y1 * W + x0] + wx * map[y1 * W + x1]);
    }
  }
  return { width, height, values };
}

/** Sum of a pixel-level model-space map over each patch (for pixel-level methods' tokenScores). */
export function poolToGrid(map: ArrayLike<number>, W: number, H: number, gh: number, gw: number): number[] {
  const out = new Array<number>(gh * gw).fill(0);
  for (let y = 0; y < H; y++) {
    const gy = Math.floor((y * gh) / H);
    for (let x = 0; x < W; x++) out[gy * gw + Math.floor((x * gw) / W)] += map[y * W + x];
  }
  return out;
}
