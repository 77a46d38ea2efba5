/**
 * The sources a finding's objects can and cannot be made for: a multi-frame instance (its frame
 * is referenced), a CT slice with a frame of reference (shared, and the map's plane covers the
 * slice exactly), a colour image; and the refusals, each naming the file: a PNG (no instance to
 * reference), a file that is not the explanation's scan, a bare data set. Explanations here are
 * made by hand (a blob on the scan's grid): the objects do not depend on how a map was made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Explanation } from '../../electron/api/contract';
import { DicomExportError, buildFindingObjects, writeFindingObjects } from '../../electron/dicom-export/index';
import { readHeader, type Dataset } from '../../electron/dicom-export/dcmjs';
import { loadScan } from '../../electron/imaging/index';
import { DICOM_FIXTURES } from '../imaging/fixtures';
import { DEMO_SCAN, DEMO_STUDIES, assertValid, dcmdump, dciodvfy, dumpValues, topValue } from './helpers';
import { testTempDir } from '../temp-dir';

const dir = testTempDir('candor-dicom-sources-');
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** An explanation of `frame` of `file` whose map is a blob in the upper left quarter (peak 0.98), at `size` (or the scan's size). */
async function handMade(file: string, frame = 1, size?: { width: number; height: number }, image = true): Promise<Explanation> {
  const scan = await loadScan(file);
  const width = size?.width ?? scan.summary.width;
  const height = size?.height ?? scan.summary.height;
  const values = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) values[y * width + x] = Math.exp(-(((x - width / 4) / (width / 8)) ** 2 + ((y - height / 4) / (height / 8)) ** 2));
  }
  // Peak 0.98: as a resampled map's can be, just under the normalized maximum.
  const peak = values.reduce((a, b) => Math.max(a, b), 0);
  for (let i = 0; i < values.length; i++) values[i] = (values[i]! / peak) * 0.98;
  return {
    id: '00000000-0000-4000-8000-000000000001',
    method: 'gradcam',
    params: { layer: 3, steps: 1, target: 'image' },
    similarity: 0.25,
    model: { name: 'hand-made', sha256: createHash('sha256').update('hand-made').digest('hex') },
    input: { scanSha256: createHash('sha256').update(readFileSync(file)).digest('hex'), frame, text: 'A blob in the upper left.', textSha256: '0'.repeat(64) },
    provider: 'cpu',
    image: image ? { grid: [1, 1], tokenScores: [1], map: { width, height, values } } : null,
    text: null,
    metrics: {},
    timings: {},
    warnings: [],
  };
}

const read = (bytes: Uint8Array): Dataset => readHeader(bytes).dataset;
const firstItem = (ds: Dataset, keyword: string): Dataset => (ds[keyword] as Dataset[])[0]!;
const numbers = (v: unknown): number[] => (v as (string | number)[]).map(Number);

test('a multi-frame source: the objects reference the explained frame', async () => {
  const file = join(DICOM_FIXTURES, 'cine_multiframe_explicit_le.dcm');
  const out = await writeFindingObjects({ explanation: await handMade(file, 3), finding: null, sourcePath: file, appVersion: 'test' }, join(dir, 'cine'));
  assert.deepEqual(out.objects.map((o) => o.kind), ['parametric-map', 'segmentation', 'secondary-capture', 'structured-report']);
  for (const f of out.files) {
    assertValid(f);
    const frames = dumpValues(dcmdump(f), '0008,1160');
    assert.ok(frames.length > 0 && frames.every((n) => n === '3'), `${f}: every reference to the source is to frame 3 (${frames})`);
  }
});

test('a CT slice: the map shares its frame of reference and orientation, and covers exactly the slice', async () => {
  const file = join(DICOM_FIXTURES, 'real_CT_small.dcm');
  const source = read(new Uint8Array(readFileSync(file)));
  // A map at 3/4 of the slice's resolution, as a large scan's map is (at most 512 pixels).
  const { objects, notes } = await buildFindingObjects({ explanation: await handMade(file, 1, { width: 96, height: 96 }), finding: null, sourcePath: file, appVersion: 'test' });
  assert.deepEqual(notes, []);
  const pm = read(objects[0]!.bytes);
  assert.equal(pm.FrameOfReferenceUID, source.FrameOfReferenceUID);
  const shared = firstItem(pm, 'SharedFunctionalGroupsSequence');
  assert.deepEqual(numbers(firstItem(shared, 'PlaneOrientationSequence').ImageOrientationPatient), numbers(source.ImageOrientationPatient));
  const mapSpacing = numbers(firstItem(shared, 'PixelMeasuresSequence').PixelSpacing);
  const mapPosition = numbers(firstItem(shared, 'PlanePositionSequence').ImagePositionPatient);
  const srcSpacing = numbers(source.PixelSpacing);
  const srcPosition = numbers(source.ImagePositionPatient);
  const rowDir = numbers(source.ImageOrientationPatient).slice(0, 3);
  const colDir = numbers(source.ImageOrientationPatient).slice(3);
  // The outer edge of the first pixel, and of the last, is the same point in both objects.
  const corner = (p: number[], spacing: number[], k: number) => p.map((v, i) => v + k * (rowDir[i]! * spacing[1]! / 2 + colDir[i]! * spacing[0]! / 2));
  const far = (p: number[], spacing: number[], columns: number, rows: number) => p.map((v, i) => v + rowDir[i]! * spacing[1]! * (columns - 0.5) + colDir[i]! * spacing[0]! * (rows - 0.5));
  const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) < 1e-4);
  assert.ok(near(corner(mapPosition, mapSpacing, -1), corner(srcPosition, srcSpacing, -1)), `first corner: ${corner(mapPosition, mapSpacing, -1)} vs ${corner(srcPosition, srcSpacing, -1)}`);
  assert.ok(near(far(mapPosition, mapSpacing, 96, 96), far(srcPosition, srcSpacing, source.Columns as number, source.Rows as number)), 'last corner');
  const seg = read(objects[1]!.bytes);
  assert.equal(seg.FrameOfReferenceUID, source.FrameOfReferenceUID);
  assert.deepEqual(numbers(firstItem(firstItem(seg, 'PerFrameFunctionalGroupsSequence'), 'PlanePositionSequence').ImagePositionPatient), mapPosition);
  for (const o of objects) {
    const file2 = join(dir, `ct-${o.fileName}`);
    writeFileSync(file2, o.bytes);
    const v = dciodvfy(file2);
    assert.deepEqual(v.errors, [], `${o.kind}: no dciodvfy error`);
  }
});

test('a colour source: all four objects, each without a dciodvfy error', async () => {
  const file = join(DICOM_FIXTURES, 'real_SC_rgb_small_odd.dcm');
  const out = await writeFindingObjects({ explanation: await handMade(file), finding: null, sourcePath: file, appVersion: 'test' }, join(dir, 'rgb'));
  assert.equal(out.objects.length, 4);
  for (const f of out.files) assert.deepEqual(dciodvfy(f).errors, [], f);
});

test('a patient name in Latin-1 (ISO_IR 100) arrives intact in the objects, which are UTF-8 (ISO_IR 192)', async () => {
  const file = join(dir, 'latin1.dcm');
  writeFileSync(file, readFileSync(DEMO_SCAN));
  // DCMTK stores the file's bytes as they are: ü and ö in Latin-1, as the scan's ISO_IR 100 says (padded to even length).
  const name = join(dir, 'name.latin1');
  writeFileSync(name, Buffer.from('Müller^Jörg ', 'latin1'));
  execFileSync('dcmodify', ['-nb', '-mf', `(0010,0010)=${name}`, file]);
  assert.equal(topValue(execFileSync('dcmdump', ['+U8', file], { encoding: 'utf8' }), '0010,0010'), 'Müller^Jörg', 'the source as DCMTK reads it');
  const { objects } = await buildFindingObjects({ explanation: await handMade(file), finding: null, sourcePath: file, appVersion: 'test' });
  for (const o of objects) {
    const out = join(dir, `latin1-${o.fileName}`);
    writeFileSync(out, o.bytes);
    const dump = execFileSync('dcmdump', ['+U8', '-Un', out], { encoding: 'utf8' });
    assert.equal(topValue(dump, '0008,0005'), 'ISO_IR 192');
    assert.equal(topValue(dump, '0010,0010'), 'Müller^Jörg', o.kind);
    assert.deepEqual(dciodvfy(out).errors, [], o.kind);
  }
});

test('a PNG scan is refused, naming the file, before anything is written: DICOM results need a DICOM instance to reference', async () => {
  const png = join(DEMO_STUDIES, 'demo-01.png');
  const outDir = join(dir, 'png');
  await assert.rejects(
    writeFindingObjects({ explanation: await handMade(png), finding: null, sourcePath: png, appVersion: 'test' }, outDir),
    (err: unknown) => err instanceof DicomExportError && err.file === png && /is a PNG image, not DICOM: DICOM results must reference the source instance/.test(err.message) && err.code === 'bad-input',
  );
  assert.equal(existsSync(outDir), false, 'no folder, no files');
});

test('a file other than the explanation\'s scan, and a data set without a Part 10 header, are refused naming the file', async () => {
  const explanation = await handMade(DEMO_SCAN);
  const other = join(DEMO_STUDIES, 'demo-02.dcm');
  await assert.rejects(buildFindingObjects({ explanation, finding: null, sourcePath: other, appVersion: 'test' }), (err: unknown) => err instanceof DicomExportError && err.file === other && /is not the scan this explanation was made on/.test(err.message));
  const bare = join(DICOM_FIXTURES, 'ct_nopreamble_implicit.dcm');
  await assert.rejects(buildFindingObjects({ explanation: await handMade(bare), finding: null, sourcePath: bare, appVersion: 'test' }), (err: unknown) => err instanceof DicomExportError && /only DICOM Part 10 files \(with the DICM preamble\) can be referenced/.test(err.message));
  await assert.rejects(buildFindingObjects({ explanation, finding: null, sourcePath: join(dir, 'missing.dcm'), appVersion: 'test' }), /missing\.dcm: no such file/);
});

test('no map: the report alone, with a note; a threshold nothing reaches: no segmentation, with a note; a threshold outside (0, 1) is refused', async () => {
  const textOnly = await buildFindingObjects({ explanation: await handMade(DEMO_SCAN, 1, undefined, false), finding: null, sourcePath: DEMO_SCAN, appVersion: 'test' });
  assert.deepEqual(textOnly.objects.map((o) => o.kind), ['structured-report']);
  assert.match(textOnly.notes[0]!, /no image attribution map/);
  const file = join(dir, 'text-only-sr.dcm');
  writeFileSync(file, textOnly.objects[0]!.bytes);
  assertValid(file);
  assert.equal(dumpValues(dcmdump(file), '0008,1155').length > 0, true, 'still references the source');

  const explanation = await handMade(DEMO_SCAN);
  const high = await buildFindingObjects({ explanation, finding: null, sourcePath: DEMO_SCAN, appVersion: 'test', options: { segmentationThreshold: 0.99 } });
  assert.deepEqual(high.objects.map((o) => o.kind), ['parametric-map', 'secondary-capture', 'structured-report']);
  assert.match(high.notes[0]!, /no pixel of the map reaches 0.99/);
  const none = await buildFindingObjects({ explanation, finding: null, sourcePath: DEMO_SCAN, appVersion: 'test', options: { segmentationThreshold: null, secondaryCapture: false } });
  assert.deepEqual(none.objects.map((o) => o.kind), ['parametric-map', 'structured-report']);
  await assert.rejects(buildFindingObjects({ explanation, finding: null, sourcePath: DEMO_SCAN, appVersion: 'test', options: { segmentationThreshold: 1.5 } }), /must be between 0 and 1/);
  assert.equal(topValue(dcmdump(file), '0008,0060'), 'SR');
});
