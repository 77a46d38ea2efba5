/**
 * Screenshots compared with stored ones: what the user sees in the viewer, not its text. A
 * region (the viewer stage, labels and readouts hidden) is reduced by area averaging to a small
 * grid, which forgives font and antialiasing differences between Chromium builds and a stage a
 * few pixels larger or smaller; then two measures must both stay small: the mean difference
 * over all cells (a window, a zoom, a scan changed), and the largest difference averaged over
 * 3×3 neighbouring cells (a map missing, misplaced or in other colours: a patch of cells, where
 * antialiasing moves single cells along edges).
 * `npm run snapshots:update` rewrites the stored images on purpose (CANDOR_UPDATE_SNAPSHOTS=1).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decode, encode } from 'fast-png';
import { repoRoot } from '../../electron/version';

export const SNAPSHOT_DIR = resolve(repoRoot(), 'tests', 'e2e', 'snapshots');
export const UPDATING = process.env.CANDOR_UPDATE_SNAPSHOTS === '1';

/** Cells along the longer side of a reduced image. */
export const GRID = 96;
/** Mean absolute difference per channel (0–255) over all cells. */
export const MAX_MEAN_DIFF = 3;
/**
 * Largest channel difference of a cell, averaged over its 3×3 neighbourhood, anywhere. Measured:
 * a viewport 6 px narrower (the stage a little smaller) gives up to 18; the map drawn with red and
 * blue swapped, 42–83.
 */
export const MAX_PATCH_DIFF = 24;
/** Stored and new region may differ this much in aspect ratio (a stage a few pixels off). */
export const MAX_ASPECT_CHANGE = 0.04;

export interface Rgb {
  width: number;
  height: number;
  /** RGB, 8 bits, row-major. */
  data: Uint8Array;
}

export function decodePng(bytes: Uint8Array): Rgb {
  const png = decode(bytes);
  if (png.depth !== 8) throw new Error(`snapshot: expected an 8-bit PNG, got ${png.depth}-bit`);
  const { width, height, channels } = png;
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) data[p * 3 + c] = png.data[p * channels + (channels >= 3 ? c : 0)]!;
  }
  return { width, height, data };
}

export function encodePng(img: Rgb): Uint8Array {
  return encode({ width: img.width, height: img.height, data: img.data, channels: 3, depth: 8 });
}

/** Area-average reduction to `w`×`h` cells (each cell the exact mean of the source area it covers). */
export function resample(img: Rgb, w: number, h: number): Rgb {
  const out = new Uint8Array(w * h * 3);
  const sx = img.width / w, sy = img.height / h;
  for (let y = 0; y < h; y++) {
    const y0 = y * sy, y1 = (y + 1) * sy;
    for (let x = 0; x < w; x++) {
      const x0 = x * sx, x1 = (x + 1) * sx;
      const acc = [0, 0, 0];
      let area = 0;
      for (let yy = Math.floor(y0); yy < Math.min(img.height, Math.ceil(y1)); yy++) {
        const wy = Math.min(y1, yy + 1) - Math.max(y0, yy);
        for (let xx = Math.floor(x0); xx < Math.min(img.width, Math.ceil(x1)); xx++) {
          const a = wy * (Math.min(x1, xx + 1) - Math.max(x0, xx));
          for (let c = 0; c < 3; c++) acc[c] += a * img.data[(yy * img.width + xx) * 3 + c]!;
          area += a;
        }
      }
      for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = Math.round(acc[c]! / area);
    }
  }
  return { width: w, height: h, data: out };
}

/** The reduced form that is stored: GRID cells along the longer side. */
export function reduce(img: Rgb): Rgb {
  const k = GRID / Math.max(img.width, img.height);
  return resample(img, Math.max(1, Math.round(img.width * k)), Math.max(1, Math.round(img.height * k)));
}

export interface Difference {
  meanDiff: number;
  patchDiff: number;
  /** Where patchDiff is (cell coordinates). */
  at: [number, number];
}

export function difference(a: Rgb, b: Rgb): Difference {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`snapshot sizes differ: ${a.width}×${a.height} vs ${b.width}×${b.height}`);
  const { width: w, height: h } = a;
  let sum = 0;
  const cells = new Float64Array(w * h);
  for (let p = 0; p < w * h; p++) {
    let worst = 0;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(a.data[p * 3 + c]! - b.data[p * 3 + c]!);
      sum += d;
      worst = Math.max(worst, d);
    }
    cells[p] = worst;
  }
  let patchDiff = 0;
  let at: [number, number] = [0, 0];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0, k = 0;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++) for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++, k++) s += cells[yy * w + xx]!;
      if (s / k > patchDiff) [patchDiff, at] = [s / k, [x, y]];
    }
  }
  return { meanDiff: sum / (3 * w * h), patchDiff, at };
}

/** Why `actual` (a full screenshot) does not match the stored reduced image, or null when it does. */
export function mismatch(stored: Rgb, actual: Rgb): string | null {
  const aspect = (actual.width / actual.height) / (stored.width / stored.height);
  if (Math.abs(aspect - 1) > MAX_ASPECT_CHANGE) return `the region's shape changed: ${actual.width}×${actual.height} against a stored ${stored.width}×${stored.height}`;
  const d = difference(stored, resample(actual, stored.width, stored.height));
  if (d.meanDiff <= MAX_MEAN_DIFF && d.patchDiff <= MAX_PATCH_DIFF) return null;
  const where = `${((100 * (d.at[0] + 0.5)) / stored.width).toFixed(0)}% across, ${((100 * (d.at[1] + 0.5)) / stored.height).toFixed(0)}% down`;
  return `mean difference ${d.meanDiff.toFixed(2)} (at most ${MAX_MEAN_DIFF}); around ${where} a patch differs by ${d.patchDiff.toFixed(1)} (at most ${MAX_PATCH_DIFF})`;
}

/**
 * Compares a screenshot (PNG bytes) with the stored snapshot `name`; with CANDOR_UPDATE_SNAPSHOTS=1
 * stores it instead. On a mismatch the reduced actual image is left in `outputDir` beside the name.
 */
export function checkSnapshot(name: string, png: Uint8Array, outputDir: string): void {
  const file = join(SNAPSHOT_DIR, `${name}.png`);
  const actual = decodePng(png);
  if (UPDATING) {
    mkdirSync(SNAPSHOT_DIR, { recursive: true });
    writeFileSync(file, encodePng(reduce(actual)));
    return;
  }
  if (!existsSync(file)) throw new Error(`no stored snapshot ${file}: run \`npm run snapshots:update\` and look at the image before committing it`);
  const stored = decodePng(readFileSync(file));
  const why = mismatch(stored, actual);
  if (!why) return;
  mkdirSync(outputDir, { recursive: true });
  const seen = join(outputDir, `${name}.actual.png`);
  writeFileSync(seen, encodePng(resample(actual, stored.width, stored.height)));
  throw new Error(`snapshot ${name} does not match ${file}: ${why} (what was seen: ${seen})`);
}
