import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distanceToMask, halfPatchInScan, localisationMetrics, rasteriseRegion, type ScanMask } from '../../native-models/explain/localisation';
import { UserInputError } from '../../native-models/errors';

/** The set pixels of a mask as "x,y" strings, for readable comparisons. */
function setPixels(m: ScanMask): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.data.length; i++) if (m.data[i]) out.push(`${i % m.width},${Math.floor(i / m.width)}`);
  return out;
}

test('a box covers the pixels whose centre lies inside it', () => {
  assert.deepEqual(setPixels(rasteriseRegion({ kind: 'box', x: 1, y: 1, width: 2, height: 2 }, 4, 4)), ['1,1', '2,1', '1,2', '2,2']);
  // Centres 0.5 and 1.5: only 1.5 is in [0.6, 1.6); rows: 0.5 is in [0, 1).
  assert.deepEqual(setPixels(rasteriseRegion({ kind: 'box', x: 0.6, y: 0, width: 1, height: 1 }, 4, 4)), ['1,0']);
  // Clipped to the scan.
  assert.deepEqual(setPixels(rasteriseRegion({ kind: 'box', x: -5, y: 3, width: 6, height: 9 }, 4, 4)), ['0,3']);
});

test('an outline is filled by the even-odd rule at pixel centres', () => {
  // Triangle x + y < 4: centres (x+.5)+(y+.5) < 4, i.e. x + y < 3 (the centre on the edge is outside).
  const tri = rasteriseRegion({ kind: 'outline', points: [[0, 0], [4, 0], [0, 4]] }, 4, 4);
  assert.deepEqual(setPixels(tri), ['0,0', '1,0', '2,0', '0,1', '1,1', '0,2']);
  // An axis-aligned outline equals the box with the same corners.
  const square = rasteriseRegion({ kind: 'outline', points: [[1, 1], [3, 1], [3, 3], [1, 3]] }, 4, 4);
  assert.deepEqual(setPixels(square), ['1,1', '2,1', '1,2', '2,2']);
  // A notch whose vertex (1, 1.5) lies on row 1's centre line: crossed once there, not twice.
  const notched = rasteriseRegion({ kind: 'outline', points: [[0, 0], [4, 0], [4, 3], [0, 3], [1, 1.5]] }, 4, 4);
  assert.deepEqual(setPixels(notched), ['0,0', '1,0', '2,0', '3,0', '1,1', '2,1', '3,1', '0,2', '1,2', '2,2', '3,2']);
});

test('bad regions are refused with the reason', () => {
  assert.throws(() => rasteriseRegion({ kind: 'outline', points: [[0, 0], [1, 1]] }, 4, 4), (e: Error) => e instanceof UserInputError && /at least 3 points/.test(e.message));
  assert.throws(() => rasteriseRegion({ kind: 'box', x: 0, y: 0, width: 0, height: 2 }, 4, 4), /positive width/);
  const outside = rasteriseRegion({ kind: 'box', x: 10, y: 10, width: 2, height: 2 }, 4, 4);
  assert.throws(() => localisationMetrics({ width: 4, height: 4, values: new Float32Array(16) }, outside, { tolerancePx: 1 }), /covers no pixel/);
});

// Map (4×4, same grid as the scan), region = pixels (1,1) and (2,1):
//   1 0 0 0
//   0 6 5 0
//   0 5 0 0
//   0 0 0 5
const MAP = { width: 4, height: 4, values: Float32Array.from([1, 0, 0, 0, 0, 6, 5, 0, 0, 5, 0, 0, 0, 0, 0, 5]) };
const REGION = rasteriseRegion({ kind: 'box', x: 1, y: 1, width: 2, height: 1 }, 4, 4);

test('hand-computed figures on a 4×4 map', () => {
  const m = localisationMetrics(MAP, REGION, { tolerancePx: 0.5, topPercent: 25 });
  assert.equal(m.pointingGame, 1, 'the maximum 6 at (1,1) is inside');
  assert.equal(m.pointingGameTolerant, 1);
  assert.equal(m.relevanceMass, 11 / 22, '6 + 5 of 22');
  // K = 2: 6 (inside), then the first of the three 5s by index, (2,1) (inside).
  assert.equal(m.relevanceRankAccuracy, 1);
  // Top 25 % = 4 pixels {6, 5, 5, 5}: 2 inside; IoU = 2 / (4 + 2 - 2).
  assert.equal(m.iouTop, 0.5);
  assert.equal(m.regionFraction, 2 / 16);
  // Top 12.5 % = 2 pixels {6, 5 at (2,1)}: both inside; IoU = 2 / (2 + 2 - 2).
  assert.equal(localisationMetrics(MAP, REGION, { tolerancePx: 0.5, topPercent: 12.5 }).iouTop, 1);
  // A region holding (1,1) and the 5 at (1,2): K = 2 takes 6 and the 5 at (2,1), outside.
  const column = rasteriseRegion({ kind: 'box', x: 1, y: 1, width: 1, height: 2 }, 4, 4);
  const c = localisationMetrics(MAP, column, { tolerancePx: 0.5, topPercent: 25 });
  assert.equal(c.relevanceRankAccuracy, 0.5);
  assert.equal(c.iouTop, 2 / 4);
  // A region larger than the top: the 2×2 block {6, 5, 5, 0}, top 12.5 % = {6, 5 at (2,1)}: IoU = 2 / (2 + 4 - 2).
  const block = rasteriseRegion({ kind: 'box', x: 1, y: 1, width: 2, height: 2 }, 4, 4);
  assert.equal(localisationMetrics(MAP, block, { tolerancePx: 0.5, topPercent: 12.5 }).iouTop, 0.5);
});

test('of equal maxima the first (row-major) is the map maximum', () => {
  const map = { width: 2, height: 1, values: [1, 1] };
  assert.equal(localisationMetrics(map, rasteriseRegion({ kind: 'box', x: 0, y: 0, width: 1, height: 1 }, 2, 1), { tolerancePx: 0 }).pointingGame, 1);
  assert.equal(localisationMetrics(map, rasteriseRegion({ kind: 'box', x: 1, y: 0, width: 1, height: 1 }, 2, 1), { tolerancePx: 0 }).pointingGame, 0);
});

test('the tolerant pointing game counts a maximum within the tolerance of the region', () => {
  const corner = rasteriseRegion({ kind: 'box', x: 3, y: 0, width: 1, height: 1 }, 4, 4);
  // Maximum at centre (1.5, 1.5); region pixel centre (3.5, 0.5): distance √5 ≈ 2.236.
  assert.equal(distanceToMask(corner, 1.5, 1.5), Math.sqrt(5));
  const miss = localisationMetrics(MAP, corner, { tolerancePx: 2.2 });
  assert.equal(miss.pointingGame, 0);
  assert.equal(miss.pointingGameTolerant, 0);
  assert.equal(localisationMetrics(MAP, corner, { tolerancePx: 2.3 }).pointingGameTolerant, 1);
  assert.equal(miss.relevanceMass, 0);
  assert.equal(miss.relevanceRankAccuracy, 0);
});

test('a map coarser than the scan samples the region under its pixel centres', () => {
  // 2×2 map over a 4×4 scan; region = the scan's top-left 2×2 = the map's top-left pixel.
  const region = rasteriseRegion({ kind: 'box', x: 0, y: 0, width: 2, height: 2 }, 4, 4);
  const map = { width: 2, height: 2, values: [1, 3, 0, 0] };
  const m = localisationMetrics(map, region, { tolerancePx: 1.5 });
  assert.equal(m.pointingGame, 0);
  assert.equal(m.relevanceMass, 0.25);
  assert.equal(m.regionFraction, 0.25);
  // Maximum at map pixel (1,0), scan centre (3,1); nearest region centre (1.5, 0.5 or 1.5): √2.5 ≈ 1.58.
  assert.equal(m.pointingGameTolerant, 0);
  assert.equal(localisationMetrics(map, region, { tolerancePx: 1.6 }).pointingGameTolerant, 1);
  // Top 5 % of 4 pixels rounds to 1 pixel, the maximum, outside: IoU 0.
  assert.equal(m.iouTop, 0);
  assert.equal(m.topPercent, 5);
});

test('half a patch in scan pixels: the square the model sees', () => {
  assert.equal(halfPatchInScan([12, 12], 384, 384, false), 16);
  assert.equal(halfPatchInScan([12, 12], 300, 200, true), 12.5);
  assert.equal(halfPatchInScan([12, 12], 300, 200, false), 200 / 24);
});
