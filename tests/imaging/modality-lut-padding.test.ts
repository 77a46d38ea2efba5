/**
 * Modality LUT Sequence (0028,3000) in place of rescale, and Pixel Padding Value / Range Limit
 * (0028,0120/0121): padded pixels stay out of the auto window and are drawn as background.
 * Files are written into a temp folder; expectations follow PS3.3 C.11.1 and C.7.5.1.1.2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDicom, type WriteElement } from '../../electron/imaging/dicom-writer';
import { ImagingError, loadScan, rangeWindow, toDisplay8 } from '../../electron/imaging/index';
import { DICOM_FIXTURES } from './fixtures';
import { testTempDir } from '../temp-dir';

const tmp = testTempDir('candor-modlut-');
const W = 32;
const H = 16;

interface Options {
  photometric?: string;
  signed?: boolean;
  bitsStored?: number;
  pixels: number[];
  extra: WriteElement[];
}

function file(name: string, o: Options): string {
  const signed = o.signed ?? false;
  const pixels = signed ? Int16Array.from(o.pixels) : Uint16Array.from(o.pixels);
  const path = join(tmp, name);
  writeFileSync(
    path,
    writeDicom({
      transferSyntax: '1.2.840.10008.1.2.1',
      elements: [
        { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
        { tag: 0x00080018, vr: 'UI', value: '2.25.99' },
        { tag: 0x00080060, vr: 'CS', value: 'OT' },
        { tag: 0x00280002, vr: 'US', value: { us: [1] } },
        { tag: 0x00280004, vr: 'CS', value: o.photometric ?? 'MONOCHROME2' },
        { tag: 0x00280010, vr: 'US', value: { us: [H] } },
        { tag: 0x00280011, vr: 'US', value: { us: [W] } },
        { tag: 0x00280100, vr: 'US', value: { us: [16] } },
        { tag: 0x00280101, vr: 'US', value: { us: [o.bitsStored ?? 12] } },
        { tag: 0x00280102, vr: 'US', value: { us: [(o.bitsStored ?? 12) - 1] } },
        { tag: 0x00280103, vr: 'US', value: { us: [signed ? 1 : 0] } },
        ...o.extra,
      ].sort((a, b) => a.tag - b.tag),
      pixels: { native: new Uint8Array(pixels.buffer) },
    }),
  );
  return path;
}

function lutItem(first: number, data: number[], bits: number, type: string): WriteElement {
  const words = Uint16Array.from(data);
  return {
    tag: 0x00283000,
    vr: 'SQ',
    value: {
      items: [
        [
          { tag: 0x00283002, vr: 'US', value: { us: [data.length, first & 0xffff, bits] } },
          { tag: 0x00283003, vr: 'LO', value: 'test curve' },
          { tag: 0x00283004, vr: 'LO', value: type },
          { tag: 0x00283006, vr: 'OW', value: new Uint8Array(words.buffer) },
        ],
      ],
    },
  };
}

const rescale: WriteElement[] = [
  { tag: 0x00281052, vr: 'DS', value: '7' },
  { tag: 0x00281053, vr: 'DS', value: '3' },
];

function minMax(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  }
  return { min, max };
}

test('a Modality LUT replaces Rescale Slope / Intercept, clamping outside its input range', async () => {
  const first = 100;
  const curve = Array.from({ length: 1000 }, (_, k) => Math.round((k * k) / 20));
  const pixels = Array.from({ length: W * H }, (_, i) => (i * 9) % 1300); // 0..1299: below, inside and above the LUT
  const scan = await loadScan(file('lut.dcm', { pixels, extra: [...rescale, lutItem(first, curve, 16, 'OD')] }));
  const values = await scan.frame(1);
  for (let i = 0; i < pixels.length; i++) {
    const k = Math.min(curve.length - 1, Math.max(0, pixels[i]! - first));
    assert.equal(values[i], curve[k], `pixel ${i} (stored ${pixels[i]})`);
  }
  assert.deepEqual(scan.summary.valueRange, minMax(values));
  assert.equal(scan.summary.units, 'OD');
  assert.deepEqual(Array.from((await scan.storedFrame(1)).data), pixels, 'stored values stay untouched');
});

test('a Modality LUT of signed data starts at a negative first mapped value', async () => {
  const curve = Array.from({ length: 200 }, (_, k) => 5000 - 10 * k); // decreasing: the range is not the ends mapped
  const pixels = Array.from({ length: W * H }, (_, i) => (i % 260) - 80);
  const scan = await loadScan(file('lut-signed.dcm', { signed: true, bitsStored: 16, pixels, extra: [lutItem(-50, curve, 16, 'US')] }));
  const values = await scan.frame(1);
  for (let i = 0; i < pixels.length; i++) {
    const k = Math.min(199, Math.max(0, pixels[i]! + 50));
    assert.equal(values[i], curve[k]);
  }
  assert.deepEqual(scan.summary.valueRange, { min: 5000 - 1990, max: 5000 });
  assert.equal(scan.summary.units, '', 'Modality LUT Type US means unspecified');
});

test('a Modality LUT with an impossible entry size is refused', async () => {
  const path = file('lut-bad.dcm', { pixels: new Array(W * H).fill(1), extra: [lutItem(0, [1, 2, 3], 12, 'OD')] });
  await assert.rejects(loadScan(path), (err: unknown) => err instanceof ImagingError && /Modality LUT with 12 bits per entry/.test(err.message) && err.message.includes(path));
});

test('padded CT pixels stay in the modality values but out of the value range, and draw as background', async () => {
  const scan = await loadScan(join(DICOM_FIXTURES, 'ct_signed_rescale_windows.dcm')); // Pixel Padding Value -2000, intercept -1024
  const stored = (await scan.storedFrame(1)).data;
  const values = await scan.frame(1);
  const padded: number[] = [];
  const kept: number[] = [];
  for (let i = 0; i < stored.length; i++) (stored[i] === -2000 ? padded : kept).push(i);
  assert.ok(padded.length > 0 && kept.length > 0);
  for (const i of padded) assert.equal(values[i], -3024, 'modality values keep the padded pixels (PS3.3 rescale applies to them too)');
  assert.deepEqual(scan.padding, { min: -3024, max: -3024 });
  assert.deepEqual(scan.summary.valueRange, minMax(kept.map((i) => values[i]!)));
  assert.ok(scan.summary.valueRange.min > -3024);
  for (const invert of [false, true]) {
    const shown = toDisplay8(values, { kind: 'window', center: 40, width: 400 }, { invert, padding: scan.padding });
    for (const i of padded) assert.equal(shown[i], 0, `padded pixel ${i} is black (invert ${invert})`);
    const image = kept.map((i) => shown[i]!);
    assert.ok(Math.max(...image) > 0, 'image pixels are not all background');
  }
});

test('Pixel Padding Range Limit pads a range; MONOCHROME1 padding is black although low values show white', async () => {
  const pixels = Array.from({ length: W * H }, (_, i) => (i < 64 ? i % 6 : 100 + ((i * 37) % 3000)));
  const scan = await loadScan(
    file('pad-range.dcm', {
      photometric: 'MONOCHROME1',
      pixels,
      extra: [
        { tag: 0x00280120, vr: 'US', value: { us: [5] } },
        { tag: 0x00280121, vr: 'US', value: { us: [0] } },
      ],
    }),
  );
  assert.deepEqual(scan.summary.valueRange, minMax(pixels.slice(64)));
  assert.deepEqual(scan.padding, { min: 0, max: 5 });
  const values = await scan.frame(1);
  const voi = rangeWindow(scan.summary.valueRange);
  const plain = toDisplay8(values, voi, { invert: true });
  const shown = toDisplay8(values, voi, { invert: true, padding: scan.padding });
  for (let i = 0; i < 64; i++) {
    assert.equal(plain[i], 255, 'without padding handling the lowest values would be white');
    assert.equal(shown[i], 0);
  }
  for (let i = 64; i < pixels.length; i++) assert.equal(shown[i], plain[i]);
});

test('an image that is all padding keeps its full value range', async () => {
  const scan = await loadScan(file('pad-all.dcm', { pixels: new Array(W * H).fill(42), extra: [{ tag: 0x00280120, vr: 'US', value: { us: [42] } }] }));
  assert.deepEqual(scan.summary.valueRange, { min: 42, max: 42 });
});
