/**
 * Does a map point where the reader (or a ground-truth mask) says the finding is? The standard
 * phrase-grounding figures, for one map in scan coordinates and one region on the same scan:
 *   - pointing game (Zhang et al. 2016): the map's maximum inside the region; and with a tolerance
 *     (the classic game counts a maximum within 15 px of the object; ours is half a patch of the
 *     model, the map's own resolution);
 *   - relevance mass and relevance rank accuracy (Arras et al. 2022, "CLEVR-XAI");
 *   - IoU of the map's top k % pixels with the region.
 * Everything is measured on the map's grid: a map pixel belongs to the region when the scan pixel
 * under its centre does. The region is rasterised at scan resolution (pixel centres inside).
 */
import { UserInputError } from '../errors';
import type { LocalisationMetrics, Region } from './types';

/** A binary mask over the scan (scan pixels, row-major, non-zero inside). */
export interface ScanMask {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A map in scan coordinates: `width × height` pixels covering the whole scan. */
export interface ScanMap {
  width: number;
  height: number;
  values: ArrayLike<number>;
}

/** The share of the map's pixels whose IoU with the region is reported. */
export const DEFAULT_TOP_PERCENT = 5;

function checkRegion(region: Region): void {
  if (region.kind === 'box') {
    const { x, y, width, height } = region;
    if (![x, y, width, height].every(Number.isFinite) || !(width > 0) || !(height > 0)) throw new UserInputError(`region: a box needs finite x, y and a positive width and height, got ${JSON.stringify(region)}`);
    return;
  }
  if (region.points.length < 3) throw new UserInputError(`region: an outline needs at least 3 points, got ${region.points.length}`);
  if (!region.points.every((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]))) throw new UserInputError('region: an outline point is not a finite number');
}

/** The region as a mask over a `width × height` scan: the pixels whose centre lies inside (even-odd rule for outlines). */
export function rasteriseRegion(region: Region, width: number, height: number): ScanMask {
  checkRegion(region);
  const data = new Uint8Array(width * height);
  if (region.kind === 'box') {
    // Centre x + 0.5 in [x0, x1): the first and last column with that property.
    const c0 = Math.max(0, Math.ceil(region.x - 0.5)), c1 = Math.min(width, Math.ceil(region.x + region.width - 0.5));
    const r0 = Math.max(0, Math.ceil(region.y - 0.5)), r1 = Math.min(height, Math.ceil(region.y + region.height - 0.5));
    for (let y = r0; y < r1; y++) data.fill(1, y * width + c0, y * width + Math.max(c0, c1));
    return { width, height, data };
  }
  const pts = region.points;
  const xs: number[] = [];
  for (let y = 0; y < height; y++) {
    const cy = y + 0.5;
    xs.length = 0;
    for (let i = 0; i < pts.length; i++) {
      const [ax, ay] = pts[i];
      const [bx, by] = pts[(i + 1) % pts.length];
      // Half-open in y so a vertex shared by two edges is crossed once.
      if ((ay <= cy && by > cy) || (by <= cy && ay > cy)) xs.push(ax + ((cy - ay) * (bx - ax)) / (by - ay));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const c0 = Math.max(0, Math.ceil(xs[k] - 0.5)), c1 = Math.min(width, Math.ceil(xs[k + 1] - 0.5));
      if (c1 > c0) data.fill(1, y * width + c0, y * width + c1);
    }
  }
  return { width, height, data };
}

/** The mask's value under the centre of map pixel (x, y), the map covering the same scan at `mw × mh`. */
export function maskAtMapPixel(mask: ScanMask, x: number, y: number, mw: number, mh: number): number {
  const sx = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / mw));
  const sy = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / mh));
  return mask.data[sy * mask.width + sx];
}

/** Distance from scan point (x, y) to the nearest pixel centre inside the mask, in scan pixels (∞ for an empty mask). */
export function distanceToMask(mask: ScanMask, x: number, y: number): number {
  let best = Infinity;
  for (let my = 0; my < mask.height; my++) {
    const dy = my + 0.5 - y;
    if (dy * dy >= best * best) continue;
    for (let mx = 0; mx < mask.width; mx++) {
      if (!mask.data[my * mask.width + mx]) continue;
      const d = Math.hypot(mx + 0.5 - x, dy);
      if (d < best) best = d;
    }
  }
  return best;
}

/**
 * Half a patch of the model in scan pixels: the pointing game's tolerance. The model sees a square
 * of the scan's shorter side (resize + centre crop) or, letterboxed, of its longer side.
 */
export function halfPatchInScan(grid: [number, number], scanWidth: number, scanHeight: number, letterbox: boolean): number {
  const side = letterbox ? Math.max(scanWidth, scanHeight) : Math.min(scanWidth, scanHeight);
  return (0.5 * side) / Math.min(grid[0], grid[1]);
}

/** Map pixel indices by value, highest first (ties: lower index first, so the result is reproducible). */
function rankByValue(values: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => values[b] - values[a] || a - b);
}

/**
 * The localisation figures of one map against one mask. `tolerancePx` is in scan pixels;
 * `topPercent` picks the map's top pixels for the IoU. Throws when the region covers no pixel of
 * the map (nothing to localise against) or the map is empty.
 */
export function localisationMetrics(map: ScanMap, mask: ScanMask, opts: { tolerancePx: number; topPercent?: number }): LocalisationMetrics {
  const { width: mw, height: mh, values } = map;
  const n = mw * mh;
  if (n === 0 || values.length !== n) throw new UserInputError(`localisation: the map has ${values.length} values for ${mw}×${mh} pixels`);
  if (mask.data.length !== mask.width * mask.height || mask.data.length === 0) throw new UserInputError(`localisation: the mask has ${mask.data.length} values for ${mask.width}×${mask.height} pixels`);
  const topPercent = opts.topPercent ?? DEFAULT_TOP_PERCENT;
  if (!(topPercent > 0 && topPercent <= 100)) throw new UserInputError(`localisation: top percent must be in (0, 100], got ${topPercent}`);
  const inside = new Uint8Array(n);
  let regionSize = 0, total = 0, mass = 0, best = 0;
  for (let y = 0; y < mh; y++) {
    for (let x = 0; x < mw; x++) {
      const i = y * mw + x;
      const v = values[i];
      inside[i] = maskAtMapPixel(mask, x, y, mw, mh) ? 1 : 0;
      regionSize += inside[i];
      total += v;
      if (inside[i]) mass += v;
      if (v > values[best]) best = i;
    }
  }
  if (regionSize === 0) throw new UserInputError('localisation: the region covers no pixel of the map (draw it over the scan)');
  const bx = best % mw, by = Math.floor(best / mw);
  const bestScan: [number, number] = [((bx + 0.5) * mask.width) / mw, ((by + 0.5) * mask.height) / mh];
  const order = rankByValue(values);
  let rankHits = 0;
  for (let k = 0; k < regionSize; k++) rankHits += inside[order[k]];
  const topCount = Math.max(1, Math.round((topPercent / 100) * n));
  let topInside = 0;
  for (let k = 0; k < topCount; k++) topInside += inside[order[k]];
  return {
    pointingGame: inside[best],
    pointingGameTolerant: inside[best] || distanceToMask(mask, bestScan[0], bestScan[1]) <= opts.tolerancePx ? 1 : 0,
    relevanceMass: total > 0 ? mass / total : 0,
    relevanceRankAccuracy: rankHits / regionSize,
    iouTop: topInside / (topCount + regionSize - topInside),
    topPercent,
    tolerancePx: opts.tolerancePx,
    regionFraction: regionSize / n,
  };
}
