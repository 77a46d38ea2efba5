/**
 * A demo finding's DICOM objects: the demo model explains a sentence of a demo study, the finding
 * is recorded in a real audit database, its objects are written, and then checked with tools
 * that share no code with the writer: dicom3tools' dciodvfy (every object valid), DCMTK's dcmdump
 * and dsrdump (identity, references, the report's tree), and Candor's own decoder (the map and
 * the capture open, with the map's values exactly).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Explanation, RecordedFinding } from '../../electron/api/contract';
import { buildFindingObjects, writeFindingObjects, type DicomObject } from '../../electron/dicom-export/index';
import { readHeader, type Dataset } from '../../electron/dicom-export/dcmjs';
import { captureImage } from '../../electron/dicom-export/secondary-capture';
import { loadScan } from '../../electron/imaging/index';
import { composeScanAndOverlay } from '../../electron/report/overlay';
import { windowedGray } from '../../electron/services/report';
import { DEMO_SCAN, DEMO_SENTENCE, assertValid, dcmdump, demoExplanation, dumpValues, recordDemoFinding, topValue } from './helpers';
import { testTempDir } from '../temp-dir';

const dir = testTempDir('candor-dicom-objects-');
test.after(() => rmSync(dir, { recursive: true, force: true }));

let explanation: Explanation;
let modelSha256: string;
let recorded: RecordedFinding;
let files: string[];
let objects: DicomObject[];

before(async () => {
  ({ explanation, modelSha256 } = await demoExplanation());
  recorded = await recordDemoFinding(join(dir, 'audit.sqlite'), explanation);
  const { explanation: stored, ...finding } = recorded;
  const out = await writeFindingObjects({ explanation: stored, finding, sourcePath: DEMO_SCAN, appVersion: 'test' }, join(dir, 'out'));
  ({ files, objects } = out);
});

const fileOf = (kind: DicomObject['kind']): string => files[objects.findIndex((o) => o.kind === kind)]!;
const read = (file: string): Dataset => readHeader(new Uint8Array(readFileSync(file))).dataset;

/** SR content items, depth first, with their parents' concept names. */
function contentItems(ds: Dataset, path: string[] = []): { item: Dataset; path: string[] }[] {
  const out: { item: Dataset; path: string[] }[] = [];
  for (const item of (ds.ContentSequence as Dataset[] | undefined) ?? []) {
    out.push({ item, path });
    out.push(...contentItems(item, [...path, conceptOf(item)]));
  }
  return out;
}
const conceptOf = (item: Dataset): string => `${((item.ConceptNameCodeSequence as Dataset[])[0]!.CodeValue as string)}`;
const itemsNamed = (ds: Dataset, code: string): Dataset[] => contentItems(ds).filter((x) => conceptOf(x.item) === code).map((x) => x.item);

test('a demo finding gives a Parametric Map, a Segmentation, a Secondary Capture and a Comprehensive SR, each valid to dciodvfy', () => {
  assert.deepEqual(objects.map((o) => o.kind), ['parametric-map', 'segmentation', 'secondary-capture', 'structured-report']);
  assert.deepEqual(files.map((f) => f.slice(f.lastIndexOf('/') + 1)), ['pm', 'seg', 'sc', 'sr'].map((k) => `candor-finding-${recorded.seq}-${k}.dcm`));
  assert.deepEqual(files.map((f) => assertValid(f).iod), ['ParametricMap', 'Segmentation', 'SCImage', 'ComprehensiveSR']);
  const sopClasses = files.map((f) => topValue(dcmdump(f), '0008,0016'));
  assert.deepEqual(sopClasses, ['1.2.840.10008.5.1.4.1.1.30', '1.2.840.10008.5.1.4.1.1.66.4', '1.2.840.10008.5.1.4.1.1.7', '1.2.840.10008.5.1.4.1.1.88.33']);
});

test('the objects join the source study as new series, and reference its instance and the map', () => {
  const source = dcmdump(DEMO_SCAN);
  const sopInstance = topValue(source, '0008,0018');
  const study = topValue(source, '0020,000d');
  const series = topValue(source, '0020,000e');
  const patientId = topValue(source, '0010,0020');
  const seriesSeen = new Set<string>([series!]);
  const pm = objects.find((o) => o.kind === 'parametric-map')!;
  for (const [i, file] of files.entries()) {
    const dump = dcmdump(file);
    assert.equal(topValue(dump, '0020,000d'), study, `${file}: the source's Study Instance UID`);
    assert.equal(topValue(dump, '0010,0020'), patientId, `${file}: the source's Patient ID`);
    assert.equal(topValue(dump, '0008,0018'), objects[i]!.sopInstanceUid);
    const ownSeries = topValue(dump, '0020,000e')!;
    assert.equal(ownSeries, objects[i]!.seriesInstanceUid);
    assert.ok(!seriesSeen.has(ownSeries), `${file}: a series of its own`);
    seriesSeen.add(ownSeries);
    const referenced = dumpValues(dump, '0008,1155');
    assert.ok(referenced.includes(sopInstance!), `${file} references the source instance`);
    assert.deepEqual(dumpValues(dump, '0008,1160'), [], `${file}: no frame number for a single-frame source`);
  }
  const sr = dcmdump(fileOf('structured-report'));
  assert.ok(dumpValues(sr, '0008,1155').includes(pm.sopInstanceUid), 'the report references the map');
  const evidence = read(fileOf('structured-report')).PertinentOtherEvidenceSequence as Dataset[];
  const listed = (evidence[0]!.ReferencedSeriesSequence as Dataset[]).flatMap((s) => (s.ReferencedSOPSequence as Dataset[]).map((r) => r.ReferencedSOPInstanceUID));
  assert.deepEqual(listed.sort(), [sopInstance, ...objects.filter((o) => o.kind !== 'structured-report').map((o) => o.sopInstanceUid)].sort());
});

test('Candor opens the Parametric Map with the map values exactly, the Segmentation as the map at 0.5, the capture as RGB', async () => {
  const map = recorded.explanation.image!.map;
  const pm = await loadScan(fileOf('parametric-map'));
  assert.deepEqual([pm.summary.width, pm.summary.height, pm.summary.channels, pm.header.dtype], [map.width, map.height, 1, 'float32']);
  assert.deepEqual(await pm.frame(1), map.values);
  assert.deepEqual(pm.summary.windows.map((w) => [w.center, w.width]), [[0.5, 1]]);

  const seg = await loadScan(fileOf('segmentation'));
  const mask = Array.from(map.values, (v) => (v >= 0.5 ? 1 : 0));
  assert.ok(mask.includes(1) && mask.includes(0), 'the demo map has pixels on both sides of 0.5');
  assert.deepEqual(Array.from((await seg.storedFrame(1)).data), mask);

  const sc = await loadScan(fileOf('secondary-capture'));
  const source = await loadScan(DEMO_SCAN);
  const p = recorded.explanation.params;
  // The PDF report's own path: the scan under the recorded window, the map blended over it.
  const pdfGray = windowedGray(source.summary, await source.frame(1), { center: p.windowCenter as number, width: p.windowWidth as number });
  const { overlay } = composeScanAndOverlay(pdfGray, map, 1024);
  assert.ok(overlay);
  const band = sc.summary.height - overlay.height;
  assert.ok(band > 0, 'a label band above the image');
  assert.deepEqual([sc.summary.width, sc.summary.channels, sc.summary.photometric], [overlay.width, 3, 'RGB']);
  const rgb = (await sc.storedFrame(1)).data;
  assert.deepEqual(Array.from(rgb.subarray(band * overlay.width * 3)), Array.from(overlay.rgb), 'below the band: the overlay exactly as the PDF draws it');
});

test("the model's SHA-256 is the algorithm version, in the report and the segmentation", () => {
  assert.equal(recorded.explanation.model.sha256, modelSha256);
  const sr = read(fileOf('structured-report'));
  const versions = itemsNamed(sr, '111003').map((i) => i.TextValue);
  assert.ok(versions.length >= 2, 'under the similarity and each metric');
  assert.ok(versions.every((v) => v === modelSha256), JSON.stringify(versions));
  assert.ok(itemsNamed(sr, '111001').length >= 1, 'the algorithm is named');
  assert.ok(itemsNamed(sr, '111001').every((i) => i.TextValue === 'candor/demo-clip'));
  const seg = read(fileOf('segmentation'));
  const algorithm = ((seg.SegmentSequence as Dataset[])[0]!.SegmentationAlgorithmIdentificationSequence as Dataset[])[0]!;
  assert.equal(algorithm.AlgorithmVersion, modelSha256);
  assert.match(algorithm.AlgorithmParameters as string, /method=nib; .*threshold=0\.5/);
  assert.ok(dumpValues(dcmdump(fileOf('segmentation')), '0066,0031').includes(modelSha256), 'DCMTK reads the same version');
});

test('the report holds the sentence, the similarity, the method and its parameters, the metrics, the decision and the note', () => {
  const e = recorded.explanation;
  const sr = read(fileOf('structured-report'));
  assert.equal(((sr.ContentTemplateSequence as Dataset[])[0]!).TemplateIdentifier, '1500');
  assert.deepEqual(itemsNamed(sr, 'EXPLAINED-TEXT').map((i) => i.TextValue), [DEMO_SENTENCE]);
  const [similarity] = itemsNamed(sr, 'SIMILARITY');
  const measured = (similarity!.MeasuredValueSequence as Dataset[])[0]!;
  assert.equal(measured.FloatingPointValue ?? Number(measured.NumericValue), e.similarity);
  const methods = itemsNamed(sr, '370129005').map((i) => ((i.ConceptCodeSequence as Dataset[])[0]!).CodeValue);
  assert.ok(methods.length > 0 && methods.every((m) => m === 'NIB'));
  const parameters = new Set(itemsNamed(sr, '111002').map((i) => i.TextValue));
  for (const p of ['method=nib', `layer=${e.params.layer}`, `steps=${e.params.steps}`, `windowCenter=${e.params.windowCenter}`]) assert.ok(parameters.has(p), p);
  const metricCodes: Record<string, string> = { vdrop: 'IMG-CONF-DROP', vincr: 'IMG-CONF-INCR', deletionAuc: 'DELETION-AUC', insertionAuc: 'INSERTION-AUC', tdrop: 'TXT-CONF-DROP', tincr: 'TXT-CONF-INCR' };
  assert.deepEqual(Object.keys(e.metrics).sort(), Object.keys(metricCodes).sort());
  for (const [key, code] of Object.entries(metricCodes)) {
    const [item] = itemsNamed(sr, code);
    const v = (item!.MeasuredValueSequence as Dataset[])[0]!;
    assert.equal(v.FloatingPointValue ?? Number(v.NumericValue), e.metrics[key], key);
  }
  assert.deepEqual(itemsNamed(sr, 'REVIEW-DECISION').map((i) => ((i.ConceptCodeSequence as Dataset[])[0]!).CodeValue), ['AGREE']);
  assert.deepEqual(itemsNamed(sr, '121106').map((i) => i.TextValue), ['The map sits on the nodule.']);
  assert.deepEqual(itemsNamed(sr, '121008').map((i) => (i.PersonName as { Alphabetic: string }[])[0]!.Alphabetic), ['Dr Ann Smith^']);
  // DCMTK's SR reader checks the tree against the Comprehensive SR relationship constraints.
  const dsr = spawnSync('dsrdump', ['-v', '+Pc', fileOf('structured-report')], { encoding: 'utf8' });
  assert.equal(dsr.status, 0, dsr.stderr);
  assert.deepEqual(dsr.stderr.split('\n').filter((l) => /^[EW]:/.test(l) && !/VR checker does not support this Specific Character Set/.test(l)), []);
  assert.match(dsr.stdout, /<contains NUM:\(SIMILARITY,99CANDOR,"Image-report similarity \(cosine\)"\)/);
});

test('the capture says "not for diagnosis" in burned-in pixels and in its attributes', async () => {
  const dump = dcmdump(fileOf('secondary-capture'));
  assert.equal(topValue(dump, '0028,0301'), 'YES', 'Burned In Annotation');
  assert.match(topValue(dump, '0008,103e')!, /not for diagnosis/i);
  assert.match(topValue(dump, '0020,4000')!, /not for diagnosis/i);
  const { explanation: e, ...finding } = recorded;
  void finding;
  const source = await (await import('../../electron/dicom-export/source')).openSource(DEMO_SCAN, e);
  const { objectContext } = await import('../../electron/dicom-export/common');
  const capture = captureImage(objectContext({ source, explanation: e, finding: null, appVersion: 'test' }), e.image!.map);
  const sc = (await (await loadScan(fileOf('secondary-capture'))).storedFrame(1)).data;
  const { width } = capture.image;
  const at = (x: number, y: number) => [sc[(y * width + x) * 3]!, sc[(y * width + x) * 3 + 1]!, sc[(y * width + x) * 3 + 2]!].join(',');
  // The band holds black and the two text colours only.
  const colours = new Set<string>();
  for (let y = 0; y < capture.band; y++) for (let x = 0; x < width; x++) colours.add(at(x, y));
  assert.deepEqual([...colours].sort(), ['0,0,0', '230,230,230', '255,200,0']);
  // The first letters of "EXPLANATION", as a 5×7 font draws them, in the label colour at the band's corner.
  const E = ['#####', '#....', '#....', '####.', '#....', '#....', '#####'];
  const X = ['#...#', '#...#', '.#.#.', '..#..', '.#.#.', '#...#', '#...#'];
  const pad = Math.max(4, Math.round(width / 100));
  const s = capture.scale;
  for (const [k, glyph] of [E, X].entries()) {
    for (let gy = 0; gy < 7; gy++) {
      for (let gx = 0; gx < 5; gx++) {
        const expected = glyph[gy]![gx] === '#' ? '255,200,0' : '0,0,0';
        assert.equal(at(pad + (k * 6 + gx) * s + s - 1, pad + gy * s), expected, `glyph ${k} (${gx},${gy})`);
      }
    }
  }
  assert.equal(capture.lines[0], 'EXPLANATION OVERLAY - NOT FOR');
});

test("a recorded finding's objects are the same bytes every time; an unrecorded explanation's get new UIDs", async () => {
  const { explanation: e, ...finding } = recorded;
  const again = await buildFindingObjects({ explanation: e, finding, sourcePath: DEMO_SCAN, appVersion: 'test' });
  assert.deepEqual(again.objects.map((o) => Buffer.from(o.bytes).toString('base64')), files.map((f) => readFileSync(f).toString('base64')));
  const a = await buildFindingObjects({ explanation: e, finding: null, sourcePath: DEMO_SCAN, appVersion: 'test' });
  const b = await buildFindingObjects({ explanation: e, finding: null, sourcePath: DEMO_SCAN, appVersion: 'test' });
  const uids = [...a.objects, ...b.objects, ...objects].flatMap((o) => [o.sopInstanceUid, o.seriesInstanceUid]);
  assert.equal(new Set(uids).size, uids.length, 'no instance or series UID repeats across the three exports');
  for (const uid of uids) {
    assert.match(uid, /^2\.25\.(0|[1-9]\d*)$/);
    assert.ok(uid.length <= 64);
    const n = BigInt(uid.slice(5));
    assert.ok(n < 1n << 128n, 'a 128-bit UUID');
    assert.equal(Number((n >> 62n) & 3n), 2, 'RFC 4122 variant');
  }
  const version = (uid: string) => Number((BigInt(uid.slice(5)) >> 76n) & 15n);
  assert.deepEqual([objects.length, a.objects.length], [4, 4]);
  assert.ok(objects.every((o) => version(o.sopInstanceUid) === 5), 'a recorded finding: name-based (version 5) UUIDs');
  assert.ok(a.objects.every((o) => version(o.sopInstanceUid) === 4), 'an unrecorded explanation: random (version 4) UUIDs');
});
