/**
 * Pixel semantics the corpus does not cover, on images written here and checked against
 * DCMTK's renderer (dcm2pnm) as the independent reference: PALETTE COLOR, native YBR_FULL
 * (both planar configurations) and YBR_FULL_422, 1-bit data; plus the tag tree, identity
 * hiding and the worker's time limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { ImagingError, loadScan, type TagNode } from '../../electron/imaging/index';
import { writeDicom, type WriteElement } from '../../electron/imaging/dicom-writer';
import { configureDecoder, decoderStatus } from '../../electron/imaging/decoder-pool';
import { DICOM_FIXTURES, hasTools, readPnm } from './fixtures';
import { testTempDir } from '../temp-dir';

const tmp = testTempDir('candor-semantics-');
const hasDcmtk = hasTools('dcm2pnm');
const skip = hasDcmtk ? false : 'DCMTK (dcm2pnm) not installed';

const W = 37;
const H = 23;

function base(photometric: string, spp: number, bits: number, extra: WriteElement[] = []): WriteElement[] {
  return [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: 0x00080018, vr: 'UI', value: '2.25.77' },
    { tag: 0x00080060, vr: 'CS', value: 'OT' },
    { tag: 0x00100010, vr: 'PN', value: 'DOE^JANE' },
    { tag: 0x00100020, vr: 'LO', value: 'ID-123' },
    { tag: 0x00280002, vr: 'US', value: { us: [spp] } },
    { tag: 0x00280004, vr: 'CS', value: photometric },
    { tag: 0x00280010, vr: 'US', value: { us: [H] } },
    { tag: 0x00280011, vr: 'US', value: { us: [W] } },
    { tag: 0x00280100, vr: 'US', value: { us: [bits] } },
    { tag: 0x00280101, vr: 'US', value: { us: [bits] } },
    { tag: 0x00280102, vr: 'US', value: { us: [bits - 1] } },
    { tag: 0x00280103, vr: 'US', value: { us: [0] } },
    ...extra,
  ];
}

function save(name: string, bytes: Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

/** dcm2pnm's rendering as raw samples (PGM or PPM, 8-bit). */
function dcmtkRender(path: string): Uint8Array {
  const out = `${path}.pnm`;
  execFileSync('dcm2pnm', ['+op', path, out]);
  return readPnm(out);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17 + ((i * i) >> 3)) & 0xff);
}

test('PALETTE COLOR maps indices through the red/green/blue tables like DCMTK', { skip }, async () => {
  const entries = 256;
  const lut = (f: (i: number) => number) => ({ us: Array.from({ length: entries }, (_, i) => f(i)) });
  const file = save('palette.dcm', writeDicom({
    transferSyntax: '1.2.840.10008.1.2.1',
    elements: base('PALETTE COLOR', 1, 8, [
      { tag: 0x00281101, vr: 'US', value: { us: [entries, 0, 16] } },
      { tag: 0x00281102, vr: 'US', value: { us: [entries, 0, 16] } },
      { tag: 0x00281103, vr: 'US', value: { us: [entries, 0, 16] } },
      { tag: 0x00281201, vr: 'OW', value: new Uint8Array(new Uint16Array(lut((i) => i * 257).us).buffer) },
      { tag: 0x00281202, vr: 'OW', value: new Uint8Array(new Uint16Array(lut((i) => (255 - i) * 257).us).buffer) },
      { tag: 0x00281203, vr: 'OW', value: new Uint8Array(new Uint16Array(lut((i) => ((i * 7) & 255) * 257).us).buffer) },
    ]),
    pixels: { native: pattern(W * H, 1), vr: 'OB' },
  }));
  const scan = await loadScan(file);
  assert.equal(scan.summary.channels, 3);
  assert.deepEqual(Array.from((await scan.storedFrame(1)).data), Array.from(pattern(W * H, 1)));
  const rgb = await scan.frame(1);
  assert.ok(maxDiff(Array.from(rgb, Math.round), dcmtkRender(file)) <= 1);
});

for (const planar of [0, 1]) {
  test(`native YBR_FULL with planar configuration ${planar} converts to RGB like DCMTK`, { skip }, async () => {
    const file = save(`ybr${planar}.dcm`, writeDicom({
      transferSyntax: '1.2.840.10008.1.2.1',
      elements: base('YBR_FULL', 3, 8, [{ tag: 0x00280006, vr: 'US', value: { us: [planar] } }]),
      pixels: { native: pattern(W * H * 3, 2), vr: 'OB' },
    }));
    const scan = await loadScan(file);
    // DCMTK converts with fixed-point coefficients; PS3.3's exact ones differ from it by rounding only.
    assert.ok(maxDiff((await scan.storedFrame(1)).data, dcmtkRender(file)) <= 2);
  });
}

test('native YBR_FULL_422 expands chroma and converts to RGB like DCMTK', { skip }, async () => {
  const w = 38; // 4:2:2 needs an even width
  const elements = base('YBR_FULL_422', 3, 8, [{ tag: 0x00280006, vr: 'US', value: { us: [0] } }]).map((e) => (e.tag === 0x00280011 ? { ...e, value: { us: [w] } } : e));
  const file = save('ybr422.dcm', writeDicom({ transferSyntax: '1.2.840.10008.1.2.1', elements, pixels: { native: pattern(w * H * 2, 3), vr: 'OB' } }));
  const scan = await loadScan(file);
  assert.equal(scan.summary.width, w);
  assert.ok(maxDiff((await scan.storedFrame(1)).data, dcmtkRender(file)) <= 2);
});

test('1-bit data unpacks least significant bit first', async () => {
  const packed = pattern(Math.ceil((W * H) / 8), 4);
  const file = save('bits.dcm', writeDicom({
    transferSyntax: '1.2.840.10008.1.2.1',
    elements: base('MONOCHROME2', 1, 1),
    pixels: { native: packed, vr: 'OB' },
  }));
  const { data } = await (await loadScan(file)).storedFrame(1);
  const expected = Array.from({ length: W * H }, (_, i) => (packed[i >> 3]! >> (i & 7)) & 1);
  assert.deepEqual(Array.from(data), expected);
});

function find(nodes: TagNode[], tag: string): TagNode | undefined {
  return nodes.find((n) => n.tag === tag);
}

test('the tag tree has names, VRs, values and sequence items; identifying fields can be hidden', async () => {
  const scan = await loadScan(join(DICOM_FIXTURES, 'chest_small_voi_lut.dcm'));
  const tags = scan.tags();
  assert.deepEqual(find(tags, '(0028,0010)'), { tag: '(0028,0010)', name: 'Rows', vr: 'US', value: '256' });
  const seq = find(tags, '(0028,3010)')!;
  assert.equal(seq.vr, 'SQ');
  assert.equal(seq.items?.length, 1);
  assert.equal(find(seq.items![0]!, '(0028,3002)')?.value, '4096\\0\\16');
  assert.equal(find(seq.items![0]!, '(0028,3003)')?.value, 'GAMMA 2.2 VOI LUT');
  assert.equal(find(tags, '(0010,0010)')?.value, 'PHANTOM^CHEST^SMALL');
  assert.equal(scan.voi.luts.length, 1);

  const hidden = await loadScan(join(DICOM_FIXTURES, 'chest_small_voi_lut.dcm'), { hideIdentifying: true });
  assert.equal(find(hidden.tags(), '(0010,0010)')?.value, '(hidden)');
  assert.deepEqual(hidden.summary.patient, { name: null, id: null, studyDate: null, studyDescription: hidden.summary.patient.studyDescription });
  assert.equal(scan.summary.patient.name, 'PHANTOM^CHEST^SMALL');
});

test('a frame that exceeds the time limit is stopped with a clear error, and the next decode works', async () => {
  const path = join(DICOM_FIXTURES, 'chest_j2k_lossless.dcm');
  configureDecoder({ timeoutMs: 1 });
  try {
    await assert.rejects(loadScan(path), (err: unknown) => err instanceof ImagingError && /took longer than/.test(err.reason));
  } finally {
    configureDecoder({ timeoutMs: 30_000 });
  }
  const scan = await loadScan(path);
  assert.equal((await scan.storedFrame(1)).data.length, 512 * 448);
  assert.equal(decoderStatus().mode, 'worker');
});

test('enhanced multi-frame: rescale and windows come from the shared functional groups', async () => {
  const frames = 3;
  const pixels = new Uint16Array(W * H * frames).map((_, i) => (i * 13) % 4000);
  const elements = base('MONOCHROME2', 1, 16, [
    { tag: 0x00280008, vr: 'IS', value: String(frames) },
    {
      tag: 0x52009229,
      vr: 'SQ',
      value: {
        items: [[
          { tag: 0x00289145, vr: 'SQ', value: { items: [[{ tag: 0x00281052, vr: 'DS', value: '-100' }, { tag: 0x00281053, vr: 'DS', value: '2' }, { tag: 0x00281054, vr: 'LO', value: 'US' }]] } },
          { tag: 0x00289132, vr: 'SQ', value: { items: [[{ tag: 0x00281050, vr: 'DS', value: '300\\500' }, { tag: 0x00281051, vr: 'DS', value: '600\\1000' }, { tag: 0x00281055, vr: 'LO', value: 'A\\B' }]] } },
        ]],
      },
    },
  ]);
  const file = save('enhanced.dcm', writeDicom({ transferSyntax: '1.2.840.10008.1.2.1', elements, pixels: { native: new Uint8Array(pixels.buffer) } }));
  const scan = await loadScan(file);
  assert.equal(scan.summary.frames, frames);
  assert.deepEqual(scan.summary.windows, [{ name: 'A', center: 300, width: 600 }, { name: 'B', center: 500, width: 1000 }]);
  const third = await scan.frame(3);
  const offset = 2 * W * H;
  for (const i of [0, 1, 500, W * H - 1]) assert.equal(third[i], pixels[offset + i]! * 2 - 100);
  assert.deepEqual(scan.header.rescale, { slope: 2, intercept: -100, type: 'US' });
});

test('names are decoded in the Specific Character Set (UTF-8, Latin-1, GB18030)', async () => {
  const cases = [
    { charset: 'ISO_IR 192', bytes: new TextEncoder().encode('Müller^Zoë'), expected: 'Müller^Zoë' },
    { charset: 'ISO_IR 100', bytes: Uint8Array.from([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72]), expected: 'Müller' },
    { charset: 'GB18030', bytes: Uint8Array.from([0xcd, 0xf5, 0x5e, 0xd0, 0xa1, 0xc3, 0xf7]), expected: '王^小明' },
  ];
  for (const [i, c] of cases.entries()) {
    const elements = base('MONOCHROME2', 1, 8)
      .filter((e) => e.tag !== 0x00100010)
      .concat([{ tag: 0x00080005, vr: 'CS', value: c.charset }, { tag: 0x00100010, vr: 'PN', value: c.bytes }]);
    const file = save(`charset${i}.dcm`, writeDicom({ transferSyntax: '1.2.840.10008.1.2.1', elements, pixels: { native: pattern(W * H, 5), vr: 'OB' } }));
    const scan = await loadScan(file);
    assert.equal(scan.summary.patient.name, c.expected);
    assert.equal(find(scan.tags(), '(0010,0010)')?.value, c.expected);
    const hidden = await loadScan(file, { hideIdentifying: true });
    assert.equal(find(hidden.tags(), '(0010,0010)')?.value, '(hidden)');
    assert.equal(find(hidden.tags(), '(0010,0020)')?.value, '(hidden)');
  }
});

test('a multi-frame JPEG-LS with all frames in one fragment is split at the start-of-image markers', async () => {
  const ds = dicomParser.parseDicom(readFileSync(join(DICOM_FIXTURES, 'cine_multiframe_jpegls.dcm')));
  const el = ds.elements.x7fe00010!;
  const frames = [0, 1, 2, 3].map((i) => dicomParser.readEncapsulatedImageFrame(ds, el, i));
  const joined = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) {
    joined.set(f, o);
    o += f.length;
  }
  const elements: WriteElement[] = [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.12.1' },
    { tag: 0x00080018, vr: 'UI', value: '2.25.78' },
    { tag: 0x00280002, vr: 'US', value: { us: [1] } },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280008, vr: 'IS', value: '4' },
    { tag: 0x00280010, vr: 'US', value: { us: [128] } },
    { tag: 0x00280011, vr: 'US', value: { us: [160] } },
    { tag: 0x00280100, vr: 'US', value: { us: [16] } },
    { tag: 0x00280101, vr: 'US', value: { us: [10] } },
    { tag: 0x00280102, vr: 'US', value: { us: [9] } },
    { tag: 0x00280103, vr: 'US', value: { us: [0] } },
  ];
  const file = save('onefragment.dcm', writeDicom({ transferSyntax: '1.2.840.10008.1.2.4.80', elements, pixels: { fragments: [joined] } }));
  const scan = await loadScan(file);
  const raw = readFileSync(join(DICOM_FIXTURES, 'cine.pixels.raw'));
  const expected = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  for (let f = 1; f <= 4; f++) {
    assert.deepEqual((await scan.storedFrame(f)).data, expected.subarray((f - 1) * 128 * 160, f * 128 * 160));
  }
});

test('compressed data too small for the claimed size is refused before a large allocation', async () => {
  const ds = dicomParser.parseDicom(readFileSync(join(DICOM_FIXTURES, 'ct_signed_rle.dcm')));
  const el = ds.elements.x7fe00010!;
  const rle = dicomParser.readEncapsulatedImageFrame(ds, el, 0);
  const side = 20_000; // 800 MB of 16-bit samples claimed, from about 58 KB of RLE
  const elements: WriteElement[] = base('MONOCHROME2', 1, 16).map((e) => (e.tag === 0x00280010 || e.tag === 0x00280011 ? { ...e, value: { us: [side] } } : e));
  const file = save('huge-rle.dcm', writeDicom({ transferSyntax: '1.2.840.10008.1.2.5', elements, pixels: { fragments: [rle] } }));
  const before = process.memoryUsage().rss;
  await assert.rejects(loadScan(file), (err: unknown) => err instanceof ImagingError && /too few for/.test(err.reason));
  assert.ok(process.memoryUsage().rss - before < 200 * 2 ** 20, 'no large allocation happened');
});
