/**
 * The reader's region in the Structured Report: a finding recorded with a box on demo-01 writes
 * a TID 1410 group with the box as a closed POLYLINE on the source image and the localisation
 * figures as recorded; the report stays valid to dciodvfy and to DCMTK's SR reader. A finding
 * without a region writes no such group.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Explanation, RecordedFinding } from '../../electron/api/contract';
import { writeFindingObjects } from '../../electron/dicom-export/index';
import { readHeader, type Dataset } from '../../electron/dicom-export/dcmjs';
import { scanImageFromFile } from '../../electron/cli/commands/explain';
import { localise } from '../../electron/services/localisation';
import { DEMO_SCAN, assertValid, dcmdump, demoExplanation, recordDemoFinding, topValue } from './helpers';
import { testTempDir } from '../temp-dir';

const dir = testTempDir('candor-region-sr-');
/** A box around demo-01's nodule, in scan pixels. */
const BOX = { kind: 'box', x: 40.5, y: 52, width: 30, height: 24.25 } as const;

let explanation: Explanation;
let withRegion: RecordedFinding;
let srWith: string;
let srWithout: string;

async function srOf(finding: RecordedFinding, out: string): Promise<string> {
  const { explanation: stored, ...rest } = finding;
  const { files, objects } = await writeFindingObjects({ explanation: stored, finding: rest, sourcePath: DEMO_SCAN, appVersion: 'test' }, join(dir, out));
  return files[objects.findIndex((o) => o.kind === 'structured-report')]!;
}

before(async () => {
  ({ explanation } = await demoExplanation(DEMO_SCAN, undefined, 'image'));
  const { summary } = await scanImageFromFile(DEMO_SCAN, 1, null);
  const scan = { width: summary.width, height: summary.height };
  const { metrics } = localise(explanation, scan, BOX);
  assert.ok(metrics, 'the demo explanation has a map to score');
  withRegion = await recordDemoFinding(join(dir, 'audit.sqlite'), explanation, DEMO_SCAN, { region: BOX, scan, metrics });
  const without = await recordDemoFinding(join(dir, 'audit.sqlite'), explanation);
  srWith = await srOf(withRegion, 'with');
  srWithout = await srOf(without, 'without');
});

function items(ds: Dataset): Dataset[] {
  return ((ds.ContentSequence as Dataset[] | undefined) ?? []).flatMap((i) => [i, ...items(i)]);
}
const concept = (i: Dataset): string | undefined => ((i.ConceptNameCodeSequence as Dataset[] | undefined)?.[0]?.CodeValue as string | undefined);
const read = (file: string): Dataset => readHeader(new Uint8Array(readFileSync(file))).dataset;

test('a region recorded with the finding is in the SR as a TID 1410 group on the source image, with its figures', () => {
  assert.equal(assertValid(srWith).iod, 'ComprehensiveSR');
  const all = items(read(srWith));
  const group = all.find((i) => ((i.ContentTemplateSequence as Dataset[] | undefined)?.[0]?.TemplateIdentifier) === '1410');
  assert.ok(group, 'a planar ROI measurement group');
  const inGroup = items(group);
  const [scoord] = inGroup.filter((i) => i.ValueType === 'SCOORD');
  assert.ok(scoord);
  assert.equal(concept(scoord), '111030');
  assert.equal(scoord.GraphicType, 'POLYLINE');
  assert.deepEqual(scoord.GraphicData, [40.5, 52, 70.5, 52, 70.5, 76.25, 40.5, 76.25, 40.5, 52], 'the box corners, closed, in image pixel coordinates');
  const on = (scoord.ContentSequence as Dataset[])[0]!;
  assert.equal(on.RelationshipType, 'SELECTED FROM');
  const sourceUid = topValue(dcmdump(DEMO_SCAN), '0008,0018');
  assert.equal(((on.ReferencedSOPSequence as Dataset[])[0]!).ReferencedSOPInstanceUID, sourceUid);
  const value = (code: string): number => Number(((inGroup.find((i) => concept(i) === code)!.MeasuredValueSequence as Dataset[])[0]!).NumericValue);
  const m = withRegion.region!.metrics;
  assert.equal(value('POINTING-GAME'), m.pointingGame);
  assert.equal(value('POINTING-TOL'), m.pointingGameTolerant);
  assert.ok(Math.abs(value('RELEVANCE-MASS') - m.relevanceMass) < 1e-9);
  assert.ok(Math.abs(value('RANK-ACCURACY') - m.relevanceRankAccuracy) < 1e-9);
  assert.ok(Math.abs(value('IOU-TOP') - m.iouTop) < 1e-9);
  const dsr = spawnSync('dsrdump', ['-v', '+Pc', srWith], { encoding: 'utf8' });
  assert.equal(dsr.status, 0, dsr.stderr);
  assert.deepEqual(dsr.stderr.split('\n').filter((l) => /^[EW]:/.test(l) && !/VR checker does not support this Specific Character Set/.test(l)), []);
  assert.match(dsr.stdout, /<contains SCOORD:\(111030,DCM,"Image Region"\)=\(POLYLINE,40\.5\/52,/);
});

test('a finding recorded without a region writes no region group', () => {
  assertValid(srWithout);
  const all = items(read(srWithout));
  assert.equal(all.filter((i) => i.ValueType === 'SCOORD').length, 0);
  assert.equal(all.filter((i) => ((i.ContentTemplateSequence as Dataset[] | undefined)?.[0]?.TemplateIdentifier) === '1410').length, 0);
});
