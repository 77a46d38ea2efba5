/**
 * The own sequential DCT JPEG decoder (baseline / extended, 8 and 12 bit): every DCT file of
 * the corpus against the IJG reference decodes stored with it, 12-bit grey and colour streams
 * from DCMTK's encoder against DCMTK's decoder, restart intervals, 4:2:0 and one scan per
 * component from the test encoder, and corrupt or unsupported streams refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compressedFrameBytes } from '../../electron/imaging/codecs/index';
import { decodeJpegDct } from '../../electron/imaging/codecs/jpeg-dct';
import { parseDicomBytes } from '../../electron/imaging/dicom-file';
import { readImageInfo } from '../../electron/imaging/dicom-header';
import { writeDicom } from '../../electron/imaging/dicom-writer';
import { loadScan } from '../../electron/imaging/index';
import type { PixelLayout } from '../../electron/imaging/types';
import { DICOM_FIXTURES, decodeRefusal, hasTools } from './fixtures';
import { encodeDct, type DctOptions } from './dct-encoder';
import { testTempDir } from '../temp-dir';

const EXTENDED = '1.2.840.10008.1.2.4.51';
const tmp = testTempDir('candor-dct-');

const hasDcmtk = hasTools('dcmcjpeg', 'dcmdjpeg');

function frameOf(path: string): { bytes: Uint8Array; layout: PixelLayout; syntax: string } {
  const ds = parseDicomBytes(path, new Uint8Array(readFileSync(path)));
  const info = readImageInfo(path, ds);
  return { bytes: compressedFrameBytes(path, ds, info, 0), layout: info.layout, syntax: info.transferSyntax };
}

function differences(got: ArrayLike<number>, want: ArrayLike<number>): { max: number; mean: number } {
  assert.equal(got.length, want.length, 'sample count');
  let max = 0;
  let sum = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (d > max) max = d;
    sum += d;
  }
  return { max, mean: sum / want.length };
}

function rawSamples(file: string, sixteen: boolean): ArrayLike<number> {
  const b = new Uint8Array(readFileSync(join(DICOM_FIXTURES, file)));
  return sixteen ? new Uint16Array(b.buffer, b.byteOffset, b.length / 2) : b;
}

// The own decoder computes what the IJG library computes (integer IDCT, fancy upsampling,
// fixed-point colour conversion), so the reference decodes must be matched exactly.
const corpus: { file: string; ref: string }[] = [
  { file: 'chest_jpeg_extended_12bit.dcm', ref: 'chest_jpeg_extended_12bit.ref.pixels.raw' },
  { file: 'real_JPGExtended.dcm', ref: 'real_JPGExtended.pixels.raw' },
  { file: 'us8_jpeg_baseline.dcm', ref: 'us8_jpeg_baseline.ref.pixels.raw' },
  { file: 'us8_jpeg_img2dcm.dcm', ref: 'us8_jpeg_img2dcm.ref.pixels.raw' },
  { file: 'rgb_jpeg_ybr_full_422.dcm', ref: 'rgb_jpeg_ybr_full_422.ref.pixels.raw' },
  { file: 'rgb_jpeg_ybr_full_444.dcm', ref: 'rgb_jpeg_ybr_full_444.ref.pixels.raw' },
  { file: 'rgb_jpeg_img2dcm_ybr422.dcm', ref: 'rgb_jpeg_img2dcm_ybr422.ref.pixels.raw' },
];

for (const c of corpus) {
  test(`own DCT decoder reproduces the IJG decode of ${c.file}`, () => {
    const { bytes, layout } = frameOf(join(DICOM_FIXTURES, c.file));
    const out = decodeJpegDct(bytes);
    assert.equal(out.width, layout.columns);
    assert.equal(out.height, layout.rows);
    assert.equal(out.components, layout.samplesPerPixel);
    assert.equal(out.convertedToRgb, layout.samplesPerPixel === 3);
    const d = differences(out.samples, rawSamples(c.ref, layout.bitsAllocated > 8));
    assert.equal(d.max, 0, `max difference ${d.max}, mean ${d.mean}`);
  });
}

function image(width: number, height: number, components: number, max: number): Uint16Array {
  const out = new Uint16Array(width * height * components);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < components; c++) {
        const v = 0.5 + 0.3 * Math.sin(x / (5 + c) + y / 9) + 0.15 * Math.cos((x * y) / 97 + c);
        out[(y * width + x) * components + c] = Math.round(max * Math.min(1, Math.max(0, v)));
      }
    }
  }
  return out;
}

const dcmtkCases = [
  { name: '12-bit grey, odd size', width: 67, height: 45, components: 1, bits: 12 },
  { name: '12-bit colour, 4:2:2', width: 50, height: 33, components: 3, bits: 8, extra: ['+bt'] },
];

for (const c of dcmtkCases) {
  test(`12-bit JPEG from DCMTK decodes exactly as DCMTK's decoder does: ${c.name}`, { skip: hasDcmtk ? false : 'DCMTK is not installed' }, async () => {
    const colour = c.components === 3;
    const source = image(c.width, c.height, c.components, 2 ** c.bits - 1);
    const native = join(tmp, `${c.name.replace(/\W+/g, '_')}.dcm`);
    writeFileSync(
      native,
      writeDicom({
        transferSyntax: '1.2.840.10008.1.2.1',
        elements: [
          { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
          { tag: 0x00080018, vr: 'UI', value: '2.25.78' },
          { tag: 0x00280002, vr: 'US', value: { us: [c.components] } },
          { tag: 0x00280004, vr: 'CS', value: colour ? 'RGB' : 'MONOCHROME2' },
          ...(colour ? [{ tag: 0x00280006, vr: 'US', value: { us: [0] } }] : []),
          { tag: 0x00280010, vr: 'US', value: { us: [c.height] } },
          { tag: 0x00280011, vr: 'US', value: { us: [c.width] } },
          { tag: 0x00280100, vr: 'US', value: { us: [c.bits > 8 ? 16 : 8] } },
          { tag: 0x00280101, vr: 'US', value: { us: [c.bits] } },
          { tag: 0x00280102, vr: 'US', value: { us: [c.bits - 1] } },
          { tag: 0x00280103, vr: 'US', value: { us: [0] } },
        ],
        pixels: { native: c.bits > 8 ? new Uint8Array(source.buffer) : Uint8Array.from(source) },
      }),
    );
    const encoded = native.replace(/\.dcm$/, '.jpeg.dcm');
    const reference = native.replace(/\.dcm$/, '.dcmtk.dcm');
    execFileSync('dcmcjpeg', ['+ee', '+q', '85', '+un', ...(c.extra ?? []), native, encoded]);
    execFileSync('dcmdjpeg', ['+cp', encoded, reference]);
    const frame = frameOf(encoded);
    const out = decodeJpegDct(frame.bytes);
    assert.equal(out.precision, 12);
    const ours = (await loadScan(encoded)).storedFrame(1);
    const want = (await (await loadScan(reference)).storedFrame(1)).data;
    const d = differences((await ours).data, want);
    assert.equal(d.max, 0, `max difference ${d.max}, mean ${d.mean}`);
  });
}

const refusal = (bytes: Uint8Array, layout: PixelLayout) => decodeRefusal(bytes, layout, EXTENDED);

function findMarker(bytes: Uint8Array, marker: number): number {
  for (let i = 2; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1] === marker) return i;
  throw new Error(`marker ${marker.toString(16)} not found`);
}

const chest12 = () => frameOf(join(DICOM_FIXTURES, 'chest_jpeg_extended_12bit.dcm'));

test('a truncated 12-bit JPEG is refused', async () => {
  const { bytes, layout } = chest12();
  const err = await refusal(bytes.subarray(0, Math.floor(bytes.length / 2)), layout);
  assert.match(err.reason, /ends before the image is complete/);
});

test('a 12-bit JPEG without its quantisation table is refused', async () => {
  const { bytes, layout } = chest12();
  const dqt = findMarker(bytes, 0xdb);
  const length = (bytes[dqt + 2]! << 8) | bytes[dqt + 3]!;
  const broken = new Uint8Array(bytes.length - 2 - length);
  broken.set(bytes.subarray(0, dqt));
  broken.set(bytes.subarray(dqt + 2 + length), dqt);
  const err = await refusal(broken, layout);
  assert.match(err.reason, /quantisation table that is not defined/);
});

test('a 12-bit JPEG with garbage in its scan is refused', async () => {
  const { bytes, layout } = chest12();
  const broken = bytes.slice();
  const sos = findMarker(broken, 0xda);
  for (let i = sos + 20; i < sos + 60; i += 2) {
    broken[i] = 0xff;
    broken[i + 1] = 0x00;
  }
  const err = await refusal(broken, layout);
  assert.match(err.reason, /Huffman code that no table defines|ends before|beyond the 64th|category/);
});

test('progressive 12-bit JPEG is refused by name', async () => {
  const { bytes, layout } = chest12();
  const broken = bytes.slice();
  broken[findMarker(broken, 0xc1) + 1] = 0xc2;
  const err = await refusal(broken, layout);
  assert.match(err.reason, /progressive JPEG \(SOF 0xc2\) is not supported/);
});

const restartCases: { name: string; options: Omit<DctOptions, 'samples'> }[] = [
  { name: '12-bit grey, restart every 5 MCUs', options: { width: 61, height: 43, precision: 12, components: 1, restartInterval: 5 } },
  { name: '8-bit colour 4:2:0 interleaved, restart every 3 MCUs', options: { width: 45, height: 29, precision: 8, components: 3, sampling: [[2, 2], [1, 1], [1, 1]], restartInterval: 3 } },
  { name: '12-bit colour 4:2:2, one scan per component, restart every 4 blocks', options: { width: 38, height: 21, precision: 12, components: 3, sampling: [[2, 1], [1, 1], [1, 1]], restartInterval: 4, separateScans: true } },
];

for (const c of restartCases) {
  test(`restart intervals and sampling: ${c.name}`, async () => {
    const { width, height, components, precision } = c.options;
    const samples = image(width, height, components, 2 ** precision - 1);
    const withRestarts = encodeDct({ ...c.options, samples });
    const without = encodeDct({ ...c.options, samples, restartInterval: 0 });
    assert.ok(withRestarts.length > without.length, 'the restart markers are there');
    const ours = decodeJpegDct(withRestarts);
    // Same coefficients with or without restart markers: the pixels must be identical.
    assert.equal(differences(ours.samples, decodeJpegDct(without).samples).max, 0);
    if (components === 1) {
      const d = differences(ours.samples, samples);
      assert.ok(d.mean < 2 ** (precision - 8) * 2, `the test encoder is lossy only a little: mean error ${d.mean}`);
    }
    if (!hasDcmtk) return;
    // DCMTK's decoder (IJG) on the same stream: the same pixels exactly.
    const name = join(tmp, `restart-${c.name.replace(/\W+/g, '_')}`);
    writeFileSync(
      `${name}.dcm`,
      writeDicom({
        transferSyntax: precision === 8 ? '1.2.840.10008.1.2.4.50' : EXTENDED,
        elements: [
          { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
          { tag: 0x00080018, vr: 'UI', value: '2.25.79' },
          { tag: 0x00280002, vr: 'US', value: { us: [components] } },
          { tag: 0x00280004, vr: 'CS', value: components === 3 ? 'YBR_FULL_422' : 'MONOCHROME2' },
          ...(components === 3 ? [{ tag: 0x00280006, vr: 'US', value: { us: [0] } }] : []),
          { tag: 0x00280010, vr: 'US', value: { us: [height] } },
          { tag: 0x00280011, vr: 'US', value: { us: [width] } },
          { tag: 0x00280100, vr: 'US', value: { us: [precision === 8 ? 8 : 16] } },
          { tag: 0x00280101, vr: 'US', value: { us: [precision] } },
          { tag: 0x00280102, vr: 'US', value: { us: [precision - 1] } },
          { tag: 0x00280103, vr: 'US', value: { us: [0] } },
        ],
        pixels: { fragments: [withRestarts] },
      }),
    );
    execFileSync('dcmdjpeg', ['+cp', `${name}.dcm`, `${name}.dcmtk.dcm`]);
    const want = (await (await loadScan(`${name}.dcmtk.dcm`)).storedFrame(1)).data;
    assert.equal(differences(ours.samples, want).max, 0);
  });
}
