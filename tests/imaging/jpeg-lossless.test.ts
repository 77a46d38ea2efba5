/**
 * The own JPEG Lossless (process 14) decoder beyond the corpus: every predictor, point
 * transforms, 2 to 16 bits, colour, restart intervals and one scan per component, each checked
 * against the source pixels; streams from DCMTK's encoder where DCMTK is installed, and from
 * the test encoder (itself checked against DCMTK's decoder). Corrupt data must be refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCompressedFrame } from '../../electron/imaging/codecs/index';
import { writeDicom, type WriteElement } from '../../electron/imaging/dicom-writer';
import { loadScan } from '../../electron/imaging/index';
import { parseDicomBytes } from '../../electron/imaging/dicom-file';
import { readImageInfo } from '../../electron/imaging/dicom-header';
import { compressedFrameBytes } from '../../electron/imaging/codecs/index';
import type { PixelLayout } from '../../electron/imaging/types';
import { encodeLossless } from './lossless-encoder';
import { DICOM_FIXTURES, decodeRefusal, hasTools } from './fixtures';
import { testTempDir } from '../temp-dir';

const LOSSLESS_ANY = '1.2.840.10008.1.2.4.57';
const tmp = testTempDir('candor-lossless-');

const hasDcmtk = hasTools('dcmcjpeg', 'dcmdjpeg');

function layoutOf(width: number, height: number, components: number, bits: number): PixelLayout {
  const bitsAllocated = bits <= 8 ? 8 : 16;
  return {
    rows: height,
    columns: width,
    frames: 1,
    samplesPerPixel: components,
    photometric: components === 3 ? 'RGB' : 'MONOCHROME2',
    planarConfiguration: 0,
    bitsAllocated,
    bitsStored: bits,
    highBit: bits - 1,
    pixelRepresentation: 0,
  };
}

/** Smooth structure plus noise, with a few extreme samples so that large differences occur. */
function image(width: number, height: number, components: number, bits: number, seed: number): Uint16Array {
  const max = 2 ** bits - 1;
  const out = new Uint16Array(width * height * components);
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s >>> 8) / 2 ** 24;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < components; c++) {
        const smooth = 0.5 + 0.35 * Math.sin(x / 7 + c) * Math.cos(y / 11);
        let v = Math.round(max * smooth + (rnd() - 0.5) * max * 0.05);
        if (rnd() < 0.01) v = rnd() < 0.5 ? 0 : max;
        out[(y * width + x) * components + c] = Math.max(0, Math.min(max, v));
      }
    }
  }
  return out;
}

function elements(layout: PixelLayout): WriteElement[] {
  return [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: 0x00080018, vr: 'UI', value: '2.25.77' },
    { tag: 0x00280002, vr: 'US', value: { us: [layout.samplesPerPixel] } },
    { tag: 0x00280004, vr: 'CS', value: layout.photometric },
    ...(layout.samplesPerPixel > 1 ? [{ tag: 0x00280006, vr: 'US', value: { us: [0] } }] : []),
    { tag: 0x00280010, vr: 'US', value: { us: [layout.rows] } },
    { tag: 0x00280011, vr: 'US', value: { us: [layout.columns] } },
    { tag: 0x00280100, vr: 'US', value: { us: [layout.bitsAllocated] } },
    { tag: 0x00280101, vr: 'US', value: { us: [layout.bitsStored] } },
    { tag: 0x00280102, vr: 'US', value: { us: [layout.highBit] } },
    { tag: 0x00280103, vr: 'US', value: { us: [0] } },
  ];
}

function nativeBytes(samples: Uint16Array, bitsAllocated: number): Uint8Array {
  if (bitsAllocated === 8) return Uint8Array.from(samples);
  return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
}

function assertSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: sample count`);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) assert.fail(`${what}: sample ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

function quantised(source: Uint16Array, pt: number): Uint16Array {
  return source.map((v) => (v >> pt) << pt);
}

/** DCMTK's decode of a DICOM file holding `frame`, as stored values. */
async function dcmtkDecode(name: string, layout: PixelLayout, frame: Uint8Array): Promise<ArrayLike<number>> {
  const input = join(tmp, `${name}.dcm`);
  const output = join(tmp, `${name}.dcmtk.dcm`);
  writeFileSync(input, writeDicom({ transferSyntax: LOSSLESS_ANY, elements: elements(layout), pixels: { fragments: [frame] } }));
  execFileSync('dcmdjpeg', [input, output]);
  return (await (await loadScan(output)).storedFrame(1)).data;
}

const dcmtkCases: { name: string; bits: number; components: number; options: string[]; pt: number }[] = [
  ...[1, 2, 3, 4, 5, 6, 7].map((sv) => ({ name: `16-bit predictor ${sv}`, bits: 16, components: 1, options: ['+el', '+sv', String(sv)], pt: 0 })),
  { name: '12-bit predictor 6, point transform 2', bits: 12, components: 1, options: ['+el', '+sv', '6', '+pt', '2'], pt: 2 },
  { name: '8-bit predictor 7', bits: 8, components: 1, options: ['+el', '+sv', '7'], pt: 0 },
  { name: 'RGB 8-bit predictor 4', bits: 8, components: 3, options: ['+el', '+sv', '4'], pt: 0 },
];

for (const c of dcmtkCases) {
  test(`decodes DCMTK's JPEG Lossless: ${c.name}`, { skip: hasDcmtk ? false : 'DCMTK (dcmcjpeg) is not installed' }, async () => {
    const layout = layoutOf(67, 41, c.components, c.bits);
    const source = image(layout.columns, layout.rows, c.components, c.bits, 17 + c.bits);
    const native = join(tmp, `dcmtk-${c.name.replace(/\W+/g, '_')}.dcm`);
    const encoded = native.replace(/\.dcm$/, '.jpeg.dcm');
    writeFileSync(native, writeDicom({ transferSyntax: '1.2.840.10008.1.2.1', elements: elements(layout), pixels: { native: nativeBytes(source, layout.bitsAllocated) } }));
    execFileSync('dcmcjpeg', [...c.options, native, encoded]);
    const scan = await loadScan(encoded);
    assert.match(scan.header.transferSyntaxUID ?? '', /^1\.2\.840\.10008\.1\.2\.4\.(57|70)$/);
    assertSame((await scan.storedFrame(1)).data, quantised(source, c.pt), c.name);
  });
}

const ownCases: { name: string; width: number; height: number; components: number; bits: number; predictor: number; pt?: number; restartRows?: number; separateScans?: boolean }[] = [
  { name: 'restart every 3 rows, predictor 5', width: 53, height: 31, components: 1, bits: 16, predictor: 5, restartRows: 3 },
  { name: 'RGB interleaved with restarts, predictor 7', width: 40, height: 22, components: 3, bits: 8, predictor: 7, restartRows: 4 },
  { name: 'three 12-bit scans, predictor 2, point transform 1', width: 37, height: 19, components: 3, bits: 12, predictor: 2, pt: 1, separateScans: true },
  { name: '2-bit predictor 3', width: 29, height: 13, components: 1, bits: 2, predictor: 3 },
  { name: '16-bit predictor 6 with restarts every row', width: 31, height: 9, components: 1, bits: 16, predictor: 6, restartRows: 1 },
];

for (const c of ownCases) {
  test(`decodes process-14 streams: ${c.name}`, async () => {
    const layout = layoutOf(c.width, c.height, c.components, c.bits);
    const source = image(c.width, c.height, c.components, c.bits, 5 + c.width);
    const frame = encodeLossless({ ...c, samples: source, precision: c.bits, pointTransform: c.pt });
    const want = quantised(source, c.pt ?? 0);
    // The test encoder must itself be right: DCMTK's decoder reads back the source.
    if (hasDcmtk) assertSame(await dcmtkDecode(c.name.replace(/\W+/g, '_'), layout, frame), want, `${c.name} (DCMTK decode)`);
    assertSame(await decodeCompressedFrame('own.dcm', LOSSLESS_ANY, layout, frame), want, c.name);
  });
}

function corpusFrame(file: string): { bytes: Uint8Array; layout: PixelLayout; syntax: string } {
  const path = join(DICOM_FIXTURES, file);
  const ds = parseDicomBytes(path, new Uint8Array(readFileSync(path)));
  const info = readImageInfo(path, ds);
  return { bytes: compressedFrameBytes(path, ds, info, 0), layout: info.layout, syntax: info.transferSyntax };
}

/** Offset of the first byte of a marker segment, or of the entropy-coded data after SOS. */
function findMarker(bytes: Uint8Array, marker: number): number {
  for (let i = 2; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1] === marker) return i;
  throw new Error(`marker ${marker.toString(16)} not found`);
}

const refusal = (bytes: Uint8Array, layout: PixelLayout, syntax = LOSSLESS_ANY) => decodeRefusal(bytes, layout, syntax);

test('a truncated lossless scan is refused', async () => {
  const { bytes, layout, syntax } = corpusFrame('chest_jpeg_lossless_sv1.dcm');
  const err = await refusal(bytes.subarray(0, Math.floor(bytes.length * 0.6)), layout, syntax);
  assert.match(err.reason, /ends before the image is complete/);
});

test('a lossless scan with an undefined Huffman code is refused', async () => {
  const { bytes, layout, syntax } = corpusFrame('chest_jpeg_lossless_sv1.dcm');
  const broken = bytes.slice();
  const sos = findMarker(broken, 0xda);
  const data = sos + 2 + ((broken[sos + 2]! << 8) | broken[sos + 3]!);
  // Sixteen 1-bits: DCMTK's (IJG) tables never assign the all-ones code.
  for (let i = data + 100; i < data + 140; i += 2) {
    broken[i] = 0xff;
    broken[i + 1] = 0x00;
  }
  const err = await refusal(broken, layout, syntax);
  assert.match(err.reason, /Huffman code that no table defines/);
});

test('a lossless scan without its Huffman table is refused', async () => {
  const { bytes, layout, syntax } = corpusFrame('chest_jpeg_lossless_sv1.dcm');
  const dht = findMarker(bytes, 0xc4);
  const length = (bytes[dht + 2]! << 8) | bytes[dht + 3]!;
  const broken = new Uint8Array(bytes.length - 2 - length);
  broken.set(bytes.subarray(0, dht));
  broken.set(bytes.subarray(dht + 2 + length), dht);
  const err = await refusal(broken, layout, syntax);
  assert.match(err.reason, /Huffman table that is not defined/);
});

test('a lossless scan whose restart markers are missing is refused', async () => {
  const layout = layoutOf(24, 12, 1, 12);
  const frame = encodeLossless({ width: 24, height: 12, components: 1, precision: 12, predictor: 1, restartRows: 2, samples: image(24, 12, 1, 12, 3) });
  const kept: number[] = [];
  for (let i = 0; i < frame.length; i++) {
    if (frame[i] === 0xff && frame[i + 1]! >= 0xd0 && frame[i + 1]! <= 0xd7) i++;
    else kept.push(frame[i]!);
  }
  const err = await refusal(Uint8Array.from(kept), layout);
  assert.match(err.reason, /restart marker RST0 is missing|ends before the image is complete/);
});

test('a restart interval that is not whole rows is refused', async () => {
  const layout = layoutOf(24, 12, 1, 12);
  const frame = encodeLossless({ width: 24, height: 12, components: 1, precision: 12, predictor: 1, restartRows: 2, samples: image(24, 12, 1, 12, 3) });
  const dri = findMarker(frame, 0xdd);
  frame[dri + 5] = 30; // 30 samples: a row and a quarter
  const err = await refusal(frame, layout);
  assert.match(err.reason, /restart interval of 30 samples is not a whole number of 24-sample rows/);
});
