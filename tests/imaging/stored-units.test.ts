// Stored-value decoding (electron/imaging/stored.ts) against the standard's definitions, value by
// value: the array type Bits Allocated and Pixel Representation call for, masking to Bits Stored
// with the High Bit shifted down, two's-complement sign extension at every width, planar to
// interleaved colour, and YBR_FULL / YBR_FULL_422 to RGB by PS3.3 C.7.6.3.1.2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocStored, dtypeName, interleavePlanes, maskInto, ybrFull422ToRgb, ybrFullToRgb } from '../../electron/imaging/stored';

test('the stored array type follows Bits Allocated, the sign and floating point', () => {
  const cases: [number, 0 | 1, boolean, string, string][] = [
    [1, 0, false, 'Uint8Array', 'uint8'], [8, 0, false, 'Uint8Array', 'uint8'], [8, 1, false, 'Int8Array', 'int8'],
    [12, 0, false, 'Uint16Array', 'uint16'], [16, 1, false, 'Int16Array', 'int16'], [16, 0, false, 'Uint16Array', 'uint16'],
    [24, 0, false, 'Uint32Array', 'uint32'], [32, 1, false, 'Int32Array', 'int32'],
    [32, 0, true, 'Float32Array', 'float32'], [64, 0, true, 'Float64Array', 'float64'],
  ];
  for (const [bitsAllocated, pixelRepresentation, floatingPoint, type, name] of cases) {
    const layout = { bitsAllocated, pixelRepresentation, floatingPoint };
    const a = allocStored(layout, 3);
    assert.deepEqual([a.constructor.name, a.length, dtypeName(layout)], [type, 3, name], JSON.stringify(layout));
  }
});

/** The definition: bits [shift, shift + stored) of the sample, as unsigned or two's complement. */
function reference(v: number, stored: number, signed: boolean, shift: number): number {
  const bits = Math.floor(v / 2 ** shift) % 2 ** stored;
  return signed && bits >= 2 ** (stored - 1) ? bits - 2 ** stored : bits;
}

test('masking and sign extension at every Bits Stored, with and without a shifted High Bit', () => {
  const samples = [0, 1, 0x7f, 0x80, 0xff, 0x800, 0xfff, 0x1234, 0x7fff, 0x8000, 0xbeef, 0xffff];
  for (const [stored, alloc] of [[1, 8], [7, 8], [8, 8], [12, 16], [15, 16], [16, 16]] as const) {
    for (const signed of [false, true]) {
      for (const shift of stored < alloc ? [0, 1, alloc - stored] : [0]) {
        const out = allocStored({ bitsAllocated: alloc, pixelRepresentation: signed ? 1 : 0, floatingPoint: false }, samples.length);
        const raw = samples.map((v) => v & (2 ** alloc - 1));
        maskInto(out, raw, stored, signed, shift);
        assert.deepEqual(Array.from(out), raw.map((v) => reference(v, stored, signed, shift)), `stored ${stored} of ${alloc}, signed ${signed}, shift ${shift}`);
      }
    }
  }
  // 31 and 32 bits stored in 32-bit words.
  const raw32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xdeadbeef];
  const u31 = new Uint32Array(raw32.length);
  maskInto(u31, raw32, 31, false);
  assert.deepEqual(Array.from(u31), raw32.map((v) => reference(v, 31, false, 0)));
  const s31 = new Int32Array(raw32.length);
  maskInto(s31, raw32, 31, true);
  assert.deepEqual(Array.from(s31), raw32.map((v) => reference(v, 31, true, 0)));
  const u32 = new Uint32Array(raw32.length);
  maskInto(u32, raw32, 32, false);
  assert.deepEqual(Array.from(u32), raw32);
  const s32 = new Int32Array(raw32.length);
  maskInto(s32, raw32, 32, true);
  assert.deepEqual(Array.from(s32), raw32.map((v) => reference(v, 32, true, 0)));
  // A view into a larger buffer is written only within itself.
  const big = new Uint32Array(4).fill(9);
  maskInto(big.subarray(1, 3), [5, 6], 32, false);
  assert.deepEqual(Array.from(big), [9, 5, 6, 9]);
});

test('planar colour to interleaved RGB', () => {
  const planar = Uint16Array.from([1, 2, 3, 10, 20, 30, 100, 200, 300]);
  const out = interleavePlanes(planar);
  assert.equal(out.constructor, Uint16Array);
  assert.deepEqual(Array.from(out), [1, 10, 100, 2, 20, 200, 3, 30, 300]);
});

/** PS3.3 C.7.6.3.1.2 (full range), rounded, clamped to the sample range. */
function rgbOf(y: number, cb: number, cr: number, bits: number): number[] {
  const half = 2 ** (bits - 1), max = 2 ** bits - 1;
  const c = (v: number) => Math.min(max, Math.max(0, Math.round(v)));
  return [c(y + 1.402 * (cr - half)), c(y - 0.344136 * (cb - half) - 0.714136 * (cr - half)), c(y + 1.772 * (cb - half))];
}

test('YBR_FULL and YBR_FULL_422 to RGB, clamped at both ends', () => {
  const ybr = [[128, 128, 128], [0, 0, 0], [255, 255, 255], [76, 85, 255], [150, 44, 21], [29, 255, 107], [200, 10, 250]];
  const data = Uint8Array.from(ybr.flat());
  ybrFullToRgb(data, 8);
  assert.deepEqual(Array.from(data), ybr.flatMap(([y, cb, cr]) => rgbOf(y!, cb!, cr!, 8)));
  // 12-bit samples: the half point is 2048.
  const d12 = Uint16Array.from([2048, 2048, 2048, 1000, 3000, 500]);
  ybrFullToRgb(d12, 12);
  assert.deepEqual(Array.from(d12), [...rgbOf(2048, 2048, 2048, 12), ...rgbOf(1000, 3000, 500, 12)]);
  // A trailing partial pixel is left as it is.
  const partial = Uint8Array.from([128, 128, 128, 7, 9]);
  ybrFullToRgb(partial, 8);
  assert.deepEqual(Array.from(partial.slice(3)), [7, 9]);
  // 4:2:2: Y1 Y2 Cb Cr per pair of pixels; an odd width drops the pair's second pixel.
  const src = Uint8Array.from([10, 20, 100, 150, 30, 40, 90, 160, 50, 60, 80, 170]);
  const even = ybrFull422ToRgb(src.slice(0, 8), 2, 2, 8);
  assert.deepEqual(Array.from(even), [...rgbOf(10, 100, 150, 8), ...rgbOf(20, 100, 150, 8), ...rgbOf(30, 90, 160, 8), ...rgbOf(40, 90, 160, 8)]);
  const odd = ybrFull422ToRgb(src, 3, 1, 8);
  assert.equal(odd.length, 9);
  assert.deepEqual(Array.from(odd), [...rgbOf(10, 100, 150, 8), ...rgbOf(20, 100, 150, 8), ...rgbOf(30, 90, 160, 8)]);
  // Two rows of an odd width: the second row starts right after the first row's three pixels.
  const twoRows = ybrFull422ToRgb(Uint8Array.from([...src.slice(0, 8), ...src.slice(4, 12)]), 3, 2, 8);
  assert.deepEqual(Array.from(twoRows), [
    ...rgbOf(10, 100, 150, 8), ...rgbOf(20, 100, 150, 8), ...rgbOf(30, 90, 160, 8),
    ...rgbOf(30, 90, 160, 8), ...rgbOf(40, 90, 160, 8), ...rgbOf(50, 80, 170, 8),
  ]);
});
