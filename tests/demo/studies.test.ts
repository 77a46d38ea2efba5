import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decode } from 'fast-png';
import dicomParser from 'dicom-parser';
import { loadDemoStudies, STUDY_PLANS, STUDY_SIZE } from '../../native-models/demo/studies';
import { DEFAULT_WINDOW, renderPhantom, samplePhantom, windowTo8bit } from '../../native-models/demo/phantom';
import { writeReport } from '../../native-models/demo/report-grammar';

const studies = loadDemoStudies();
const UID = /^[0-9]+(\.[0-9]+)*$/;

test('index.json lists 4-6 studies with existing files, the first one abnormal', () => {
  assert.ok(studies.length >= 4 && studies.length <= 6);
  assert.ok(studies[0].findings.length > 0);
  assert.ok(studies.some((s) => s.findings.length === 0), 'a normal study is included');
  for (const s of studies) {
    const report = readFileSync(s.report, 'utf8').trim();
    for (const f of s.findings) {
      assert.equal(report.slice(f.sentenceStart, f.sentenceEnd), f.sentence);
      const png = decode(readFileSync(f.mask));
      assert.equal(png.width, STUDY_SIZE);
      assert.ok(png.data.some((v) => v === 255), `${f.mask} is empty`);
    }
  }
});

test('each DICOM parses with dicom-parser with the expected tags', () => {
  const seenUids = new Set<string>();
  for (const s of studies) {
    const bytes = new Uint8Array(readFileSync(s.scan));
    const ds = dicomParser.parseDicom(bytes);
    const str = (tag: string) => ds.string(tag) ?? '';
    assert.equal(str('x00020010'), '1.2.840.10008.1.2.1');
    assert.equal(str('x00080060'), s.modality);
    assert.equal(str('x00080016'), s.modality === 'DX' ? '1.2.840.10008.5.1.4.1.1.1.1' : '1.2.840.10008.5.1.4.1.1.1');
    assert.equal(str('x00280004'), 'MONOCHROME2');
    assert.equal(ds.uint16('x00280010'), STUDY_SIZE);
    assert.equal(ds.uint16('x00280011'), STUDY_SIZE);
    assert.equal(ds.uint16('x00280100'), 16);
    assert.equal(ds.uint16('x00280101'), 12);
    assert.equal(ds.uint16('x00280102'), 11);
    assert.equal(ds.uint16('x00280103'), 0);
    assert.equal(ds.floatString('x00281050', 0), DEFAULT_WINDOW.center);
    assert.equal(ds.floatString('x00281051', 0), DEFAULT_WINDOW.width);
    assert.ok(str('x00281050').split('\\').length >= 2, 'several window presets');
    assert.equal(str('x00180015'), 'CHEST');
    for (const tag of ['x00080018', 'x0020000d', 'x0020000e']) {
      const uid = str(tag);
      assert.match(uid, UID);
      assert.ok(uid.length <= 64, `${tag} ${uid} longer than 64`);
      assert.ok(!seenUids.has(uid), `duplicate UID ${uid}`);
      seenUids.add(uid);
    }
    assert.equal(str('x00020003'), str('x00080018'));
    const el = ds.elements.x7fe00010;
    assert.equal(el.length, STUDY_SIZE * STUDY_SIZE * 2);
    const px = new Uint16Array(bytes.buffer.slice(bytes.byteOffset + el.dataOffset, bytes.byteOffset + el.dataOffset + el.length));
    assert.ok(px.every((v) => v <= 4095));
  }
});

test('the committed studies are what the generator makes (pixels, PNG, report)', () => {
  const s = studies[0];
  const plan = STUDY_PLANS[0];
  const spec = samplePhantom(plan.seed, plan.findings);
  const img = renderPhantom(spec, STUDY_SIZE);
  const bytes = new Uint8Array(readFileSync(s.scan));
  const ds = dicomParser.parseDicom(bytes);
  const el = ds.elements.x7fe00010;
  const px = new Uint16Array(bytes.buffer.slice(bytes.byteOffset + el.dataOffset, bytes.byteOffset + el.dataOffset + el.length));
  assert.deepEqual(Array.from(px), Array.from(img.pixels));
  const png = decode(readFileSync(s.png));
  assert.deepEqual(Array.from(png.data), Array.from(windowTo8bit(img.pixels, DEFAULT_WINDOW)));
  assert.equal(readFileSync(s.report, 'utf8').trim(), writeReport(spec.findings, plan.seed).text);
  const mask = decode(readFileSync(s.findings[0].mask));
  assert.deepEqual(Array.from(mask.data).map((v) => (v ? 1 : 0)), Array.from(img.findings[0].mask));
});
