// From patch scores to a map (native-models/explain/maps.ts), against values worked out by hand
// from the definitions: PyTorch's bilinear interpolation with align_corners=False (source
// coordinate (dst + 0.5)·in/out − 0.5, clamped at 0), min-max normalization, the scan-space
// resampling through the preprocessing transform, and pooling a pixel map into patches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minMax, modelMapToScan, normalize, poolToGrid, scanMapSize, upsampleBilinear } from '../../native-models/explain/maps';
import type { ModelToScan } from '../../native-models/clip/preprocess';

const close = (a: ArrayLike<number>, b: number[], tol = 1e-12) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `[${i}] ${a[i]} ≠ ${b[i]}`);
};

test('bilinear upsampling as PyTorch (align_corners=False): edges clamp, interiors interpolate', () => {
  // [0, 1] to 4 wide: sources −0.25 (→0), 0.25, 0.75, 1.25 (→ last).
  close(upsampleBilinear([0, 1], 1, 2, 1, 4), [0, 0.25, 0.75, 1]);
  // [0, 1] to 3 wide: sources −1/6 (→0), 0.5, 7/6 (→ last).
  close(upsampleBilinear([0, 1], 1, 2, 1, 3), [0, 0.5, 1]);
  // Two dimensions: [[0, 2], [4, 6]] to 4×4 (each axis as above, so value = 2·x + 4·y at x, y ∈ {0, .25, .75, 1}).
  const f = [0, 0.25, 0.75, 1];
  close(upsampleBilinear([0, 2, 4, 6], 2, 2, 4, 4), f.flatMap((y) => f.map((x) => 2 * x + 4 * y)));
  // Taller than wide: rows interpolate, the single column is copied.
  close(upsampleBilinear([1, 3], 2, 1, 4, 2), [1, 1, 1.5, 1.5, 2.5, 2.5, 3, 3]);
  // Same size: unchanged; smaller: [0, 1, 2, 3] to 2 samples at sources 0.5 and 2.5.
  close(upsampleBilinear([5, 7, 9, 11], 2, 2, 2, 2), [5, 7, 9, 11]);
  close(upsampleBilinear([0, 1, 2, 3], 1, 4, 1, 2), [0.5, 2.5]);
});

test('min-max normalization, and why there is no map', () => {
  close(minMax([2, 4, 3])!, [0, 1, 0.5]);
  close(minMax([-1, -3])!, [1, 0]);
  assert.equal(minMax([5, 5, 5]), null);
  assert.equal(minMax([0, NaN, 1]), null);
  assert.equal(minMax([0, Infinity]), null);
  close(normalize([0, 0, 4, 2]).values!, [0, 0, 1, 0.5]);
  assert.equal(normalize([0, 0, 4]).problem, null);
  assert.deepEqual(normalize([0, 0, 0]), { values: null, problem: 'all-zero' });
  assert.deepEqual(normalize([0.3, 0.3]), { values: null, problem: 'constant' });
  assert.deepEqual(normalize([1, -Infinity, 0]), { values: null, problem: 'not-finite' });
  assert.deepEqual(normalize([NaN]), { values: null, problem: 'not-finite' });
});

test('a scan-space map is the scan size, its longest side at most 512', () => {
  const t = (w: number, h: number) => ({ scanWidth: w, scanHeight: h }) as ModelToScan;
  assert.deepEqual(scanMapSize(t(300, 200)), { width: 300, height: 200 });
  assert.deepEqual(scanMapSize(t(1024, 600)), { width: 512, height: 300 });
  assert.deepEqual(scanMapSize(t(600, 1024)), { width: 300, height: 512 });
  assert.deepEqual(scanMapSize(t(512, 512)), { width: 512, height: 512 });
  assert.deepEqual(scanMapSize(t(4000, 3)), { width: 512, height: 1 });
  assert.deepEqual(scanMapSize(t(100, 50), 10), { width: 10, height: 5 });
});

test('model space to scan space: a ramp stays a ramp; what the model did not see is 0', () => {
  // The model saw the scan 2× smaller (scale 2), letterboxed: 1 model pixel of padding on top.
  // Model map (4×4): value = its column. Scan row centres sy map to model y = (sy + 2) / 2, all inside.
  const t: ModelToScan = { modelWidth: 4, modelHeight: 4, scanWidth: 8, scanHeight: 6, scaleX: 2, scaleY: 2, offsetX: 0, offsetY: -2, letterbox: true };
  const map = Array.from({ length: 16 }, (_, i) => i % 4);
  const s = modelMapToScan(map, t);
  assert.deepEqual([s.width, s.height], [8, 6]);
  // Scan column i has its centre at model x = (i + 0.5) / 2; bilinear on a ramp at pixel centres: x − 0.5, clamped to [0, 3].
  const col = Array.from({ length: 8 }, (_, i) => Math.min(3, Math.max(0, (i + 0.5) / 2 - 0.5)));
  close(s.values, Array.from({ length: 48 }, (_, k) => col[k % 8]!), 1e-6);
  // Shifted right by 4 scan pixels: the left half of the scan lies outside the model's view.
  const right = modelMapToScan(map, { ...t, offsetX: 4, scanWidth: 8 });
  close(Array.from(right.values.slice(0, 8)), [0, 0, 0, 0, ...col.slice(0, 4)], 1e-6);
  // A smaller output (max side 4) samples at the centres of 2×2 scan blocks.
  const small = modelMapToScan(map, t, 4);
  assert.deepEqual([small.width, small.height], [4, 3]);
  // Centres at scan x = 1, 3, 5, 7: model x 0.5 … 3.5, pixel centres exactly.
  close(Array.from(small.values.slice(0, 4)), [0, 1, 2, 3], 1e-6);
  // Rows above the letterbox's content (model y < 0) and below it (model y > 4) are 0.
  const tall: ModelToScan = { ...t, scanHeight: 14, offsetY: -1 };
  const v = modelMapToScan(map, tall).values;
  assert.ok(v.slice(0, 8).some((x) => x > 0), 'the first scan row is inside the view (model y = 0.75)');
  assert.deepEqual(Array.from(v.slice(13 * 8)), new Array(8).fill(0), 'the last row is below it (model y = 7.25)');
});

test('pooling a pixel map into patches sums each patch, uneven patches included', () => {
  // 5×2 pixels into 2×2 patches: columns 0–2 and 3–4, rows 0 and 1.
  const map = [1, 2, 3, 4, 5, 10, 20, 30, 40, 50];
  assert.deepEqual(poolToGrid(map, 5, 2, 2, 2), [6, 9, 60, 90]);
  assert.deepEqual(poolToGrid([1, 1, 1, 1], 2, 2, 1, 1), [4]);
});

test("model space to scan space: the view's edges are inside, one pixel past them is not", () => {
  // Pixel centres at 0.5 … 5.5 with offset 0.5 land on model coordinates 0 … 5: 0 and 4 are the edges of a 4-pixel view.
  const t: ModelToScan = { modelWidth: 4, modelHeight: 4, scanWidth: 6, scanHeight: 6, scaleX: 1, scaleY: 1, offsetX: 0.5, offsetY: 0.5, letterbox: false };
  const v = modelMapToScan(new Array(16).fill(1), t).values;
  const expected = Array.from({ length: 36 }, (_, k) => (Math.floor(k / 6) <= 4 && k % 6 <= 4 ? 1 : 0));
  assert.deepEqual(Array.from(v), expected);
});

test('model space to scan space: a view wider than the scan leaves the rows above and below it at 0', () => {
  // The model (4×4, scale 1) sees past the scan's right edge (the scan is 2 wide) but only rows 1–4 of 8 (model y −0.5, 0.5 … 3.5, 4.5 …).
  const t: ModelToScan = { modelWidth: 4, modelHeight: 4, scanWidth: 2, scanHeight: 8, scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 1, letterbox: false };
  const v = modelMapToScan(new Array(16).fill(1), t).values;
  assert.deepEqual(Array.from(v), [0, 0, ...new Array(8).fill(1), ...new Array(6).fill(0)]);
});

test('model space to scan space: a reduced output samples each row at its own centre', () => {
  // Rows of the model map hold their index; the 8×8 scan (scale 2) drawn 4×4 samples scan rows 1, 3, 5, 7 = model rows 0.5 … 3.5.
  const t: ModelToScan = { modelWidth: 4, modelHeight: 4, scanWidth: 8, scanHeight: 8, scaleX: 2, scaleY: 2, offsetX: 0, offsetY: 0, letterbox: false };
  const map = Array.from({ length: 16 }, (_, i) => Math.floor(i / 4));
  const s = modelMapToScan(map, t, 4);
  assert.deepEqual([s.width, s.height], [4, 4]);
  close(Array.from(s.values.filter((_, k) => k % 4 === 0)), [0, 1, 2, 3], 1e-6);
});

test('pooling into fewer patch rows than pixel rows', () => {
  // One column of 4 pixels into 2 patch rows: rows 0–1 and 2–3.
  assert.deepEqual(poolToGrid([1, 2, 3, 4], 1, 4, 2, 1), [3, 7]);
});
