import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openServices } from './services-harness';
import { FIXTURES } from '../shared-fixtures';
import { halfPatchInScan, localisationMetrics, rasteriseRegion } from '../../native-models/explain/localisation';
import type { Explanation, Region } from '../../electron/api/contract';

const { services, call, refused, waitForJob } = openServices(join(FIXTURES, 'models', 'mini-clip'));
after(() => services.dispose());

async function explained(scanId: string, method: 'nib' | 'gradcam'): Promise<Explanation> {
  const { jobId } = await call('explain:start', { scanId, text: 'Right upper lobe consolidation (pneumonia).', method, layer: 1, steps: 4 });
  const s = await waitForJob(jobId);
  assert.equal(s.state, 'done', JSON.stringify(s));
  return (s as { explanation: Explanation }).explanation;
}

test('explain:localise scores both maps on screen against the region; finding:record keeps the region and the same figures', async () => {
  const scan = await call('scan:open', { path: join(FIXTURES, 'reference', 'case03.png') });
  const [a, b] = [await explained(scan.id, 'nib'), await explained(scan.id, 'gradcam')];
  const region: Region = { kind: 'outline', points: [[5, 5], [scan.width * 0.6, 8], [scan.width * 0.5, scan.height * 0.7], [10, scan.height * 0.5]] };
  const { results } = await call('explain:localise', { explanationIds: [a.id, b.id], region });
  assert.deepEqual(results.map((r) => r.explanationId), [a.id, b.id]);
  // The same figures computed here from the maps the jobs returned, on a mask at the scan's size.
  const mask = rasteriseRegion(region, scan.width, scan.height);
  for (const [i, e] of [a, b].entries()) {
    const expected = localisationMetrics(e.image!.map, mask, { tolerancePx: halfPatchInScan(e.image!.grid, scan.width, scan.height, false) });
    assert.deepEqual(results[i]!.metrics, expected);
    assert.equal(results[i]!.problem, null);
  }
  assert.notDeepEqual(results[0]!.metrics, results[1]!.metrics, 'each map is scored on its own');

  const rec = await call('finding:record', { explanationId: a.id, reviewer: 'Dr. Region', decision: 'agree', region });
  assert.deepEqual(rec.region, { region, scan: { width: scan.width, height: scan.height }, metrics: results[0]!.metrics });
  assert.deepEqual((await call('audit:get', { findingId: rec.findingId })).region, rec.region);
  const plain = await call('finding:record', { explanationId: b.id, reviewer: 'Dr. Region', decision: 'uncertain' });
  assert.equal(plain.region, undefined);
});

test('bad regions are refused at the boundary; one off the scan gets no figures and cannot be recorded', async () => {
  const scan = await call('scan:open', { path: join(FIXTURES, 'reference', 'case06.png') });
  const e = await explained(scan.id, 'nib');
  const two = await refused('explain:localise', { explanationIds: [e.id], region: { kind: 'outline', points: [[0, 0], [5, 5]] } });
  assert.equal(two.code, 'invalid-request');
  assert.match(two.message, /at least 3 points/);
  assert.equal((await refused('explain:localise', { explanationIds: [e.id], region: { kind: 'box', x: 0, y: 0, width: -4, height: 3 } })).code, 'invalid-request');
  assert.equal((await refused('explain:localise', { explanationIds: ['no-such-explanation'], region: { kind: 'box', x: 0, y: 0, width: 4, height: 3 } })).code, 'not-found');
  const off: Region = { kind: 'box', x: scan.width + 10, y: 0, width: 20, height: 20 };
  const { results } = await call('explain:localise', { explanationIds: [e.id], region: off });
  assert.equal(results[0]!.metrics, null);
  assert.match(results[0]!.problem ?? '', /covers no pixel/);
  const rec = await refused('finding:record', { explanationId: e.id, reviewer: 'Dr. Region', decision: 'agree', region: off });
  assert.equal(rec.code, 'bad-input');
});
