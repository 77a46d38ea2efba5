// The lookup tables and ranges on small hand-made inputs, each value worked out from PS3.3
// C.11.1 (Modality LUT, rescale), C.11.2 (VOI LUT, windows) and C.7.6.3.1.5 (palette colour).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyModalityLut, applyRescale, colourTo255, paletteToRgb, unpaddedRange, valueRange } from '../../electron/imaging/modality';
import { applyVoi, rangeWindow, toDisplay8 } from '../../electron/imaging/voi';

const u16 = (...v: number[]) => Uint16Array.from(v);

test('rescale: slope and intercept each apply on their own; identity copies', () => {
  const stored = Int16Array.from([-2, 0, 3]);
  assert.deepEqual([...applyRescale(stored, { slope: 1, intercept: 0 })], [-2, 0, 3]);
  assert.deepEqual([...applyRescale(stored, { slope: 1, intercept: -1024 })], [-1026, -1024, -1021]);
  assert.deepEqual([...applyRescale(stored, { slope: 2, intercept: 0 })], [-4, 0, 6]);
  assert.deepEqual([...applyRescale(stored, { slope: 0.5, intercept: 10 })], [9, 10, 11.5]);
});

test('colour samples of any depth but 8 bits are scaled to 0..255; 8-bit ones are kept', () => {
  assert.deepEqual([...colourTo255(Uint8Array.from([0, 7, 255]), 8)], [0, 7, 255]);
  const twelve = colourTo255(Uint16Array.from([0, 2048, 4095]), 12);
  assert.equal(twelve[0], 0);
  assert.ok(Math.abs(twelve[1]! - (255 * 2048) / 4095) < 1e-4);
  assert.equal(twelve[2], 255);
  assert.equal(colourTo255(Uint16Array.from([511]), 9)[0], 255);
  // Bits Stored 6 in an 8-bit sample: 0..63 is the full range (it was passed through as 0..63, a dark image).
  assert.deepEqual([...colourTo255(Uint8Array.from([0, 21, 63]), 6)], [0, 85, 255]);
});

test('palette colour: indices below the first mapped value take the first entry, at or past the end the last; 16-bit entries scaled by 1/257', () => {
  const red = { entries: 3, firstMapped: 10, bits: 16, data: u16(0, 257 * 100, 65535) };
  const green = { entries: 3, firstMapped: 10, bits: 8, data: u16(1, 2, 3) };
  const blue = { entries: 2, firstMapped: 11, bits: 8, data: u16(40, 50) };
  const rgb = paletteToRgb(Uint16Array.from([9, 10, 11, 12, 13]), { red, green, blue });
  assert.deepEqual([...rgb], [
    0, 1, 40, // 9: below every table
    0, 1, 40, // 10: red/green first entry, blue still below its first (11)
    100, 2, 40, // 11
    255, 3, 50, // 12: red/green last entry; blue index 1 is its last
    255, 3, 50, // 13: past every table
  ]);
});

test('value range: min and max whatever their order; an empty image has 0..0', () => {
  assert.deepEqual(valueRange([3, -1, 7, 2]), { min: -1, max: 7 });
  assert.deepEqual(valueRange([5]), { min: 5, max: 5 });
  assert.deepEqual(valueRange(Float32Array.from([-3, -8])), { min: -8, max: -3 });
  assert.deepEqual(valueRange([]), { min: 0, max: 0 });
});

test('Modality LUT: stored values outside the table take its first or last entry; the last entry itself is kept', () => {
  const lut = { entries: 4, firstMapped: -2, bits: 16, data: u16(100, 200, 300, 400), type: 'HU', explanation: null };
  assert.deepEqual([...applyModalityLut(Int16Array.from([-5, -3, -2, -1, 0, 1, 2, 9]), lut)], [100, 100, 100, 200, 300, 400, 400, 400]);
});

test('the range without padding: both padding limits are inclusive; all padding gives null', () => {
  const stored = Int16Array.from([-2000, -1000, 5, -999, 40, -2001]);
  const values = Float32Array.from([-3000, -2000, 5, -1999, 40, -2500]);
  assert.deepEqual(unpaddedRange(values, stored, { low: -2000, high: -1000 }), { min: -2500, max: 40 }, 'a value below the padding range is no padding');
  assert.deepEqual(unpaddedRange(values, stored, { low: -2000, high: -999 }), { min: -2500, max: 40 });
  assert.deepEqual(unpaddedRange(Float32Array.from([9, 1]), Int16Array.from([9, 1]), { low: 0, high: 0 }), { min: 1, max: 9 });
  assert.equal(unpaddedRange(values, stored, { low: -5000, high: 5000 }), null);
});

test('VOI LUT: modality values rounded to an entry (clamped at both ends), scaled by the LUT bit depth, at most 1', () => {
  const lut = { entries: 4, firstMapped: 100, bits: 8, data: u16(0, 51, 255, 300), explanation: null };
  const y = applyVoi([90, 100, 100.6, 101.4, 102, 103, 104, 500], { kind: 'lut', lut });
  const expected = [0, 0, 51 / 255, 51 / 255, 1, 1, 1, 1];
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(y[i]! - expected[i]!) < 1e-7, `value ${i}: ${y[i]} vs ${expected[i]}`);
  const twelve = applyVoi([0, 1], { kind: 'lut', lut: { entries: 2, firstMapped: 0, bits: 12, data: u16(4095, 1365), explanation: null } });
  assert.equal(twelve[0], 1);
  assert.ok(Math.abs(twelve[1]! - 1365 / 4095) < 1e-7);
});

test('LINEAR with a width under 1 is a threshold at the centre − ½; padding is black inverted or not, its limits included', () => {
  const y = applyVoi([9.4, 9.5, 9.6, 10.5], { kind: 'window', center: 10, width: 0.25 });
  assert.deepEqual([...y], [0, 0, 1, 1]);
  const width2 = applyVoi([9, 9.5, 10], { kind: 'window', center: 10, width: 2 });
  assert.deepEqual([...width2], [0, 0.5, 1]);
  const pad = { min: -2000, max: -1000 };
  const shown = applyVoi([-2000, -1500, -1000, -999, 100, -2001], { kind: 'window', center: 0, width: 200, fn: 'LINEAR_EXACT' }, { padding: pad, invert: true });
  assert.deepEqual([...shown], [0, 0, 0, 1, 0, 1]);
  const plain = applyVoi([-2001, -1000, 100], { kind: 'window', center: 0, width: 200, fn: 'LINEAR_EXACT' }, { padding: pad });
  assert.deepEqual([...plain], [0, 0, 1]);
  assert.deepEqual([...applyVoi([0], { kind: 'window', center: 0, width: 200 }, { padding: null, invert: false })], [Math.fround((0 - -0.5) / 199 + 0.5)]);
});

test('LINEAR_EXACT: a value at the lower end of the window is exactly 0 (not the rounding of its ramp)', () => {
  // c − w/2 − c is not exactly −w/2 in binary for these: the ramp would give −1.1e-16 there.
  for (const [c, w] of [[-3.3, 7.7], [10.7, 3.3]] as const) {
    assert.ok(Object.is(applyVoi([c - w / 2], { kind: 'window', center: c, width: w, fn: 'LINEAR_EXACT' })[0], 0), `c ${c} w ${w}`);
  }
});

test('8-bit display rounds to the nearest level; a full-range window spans min..max (at least 1 wide)', () => {
  // LINEAR_EXACT over 0..1 (centre ½, width 1) is the identity: level = round(255·x).
  assert.deepEqual([...toDisplay8([0, 0.49 / 255, 0.51 / 255, 1.49 / 255, 2.51 / 255, 1], { kind: 'window', center: 0.5, width: 1, fn: 'LINEAR_EXACT' })], [0, 0, 1, 1, 3, 255]);
  assert.deepEqual(rangeWindow({ min: -100, max: 300 }), { kind: 'window', center: 100, width: 400, fn: 'LINEAR_EXACT' });
  assert.deepEqual(rangeWindow({ min: 7, max: 7 }), { kind: 'window', center: 7.5, width: 1, fn: 'LINEAR_EXACT' });
  assert.deepEqual([...toDisplay8([-100, 100, 300], rangeWindow({ min: -100, max: 300 }), { invert: true })], [255, 128, 0]);
});
