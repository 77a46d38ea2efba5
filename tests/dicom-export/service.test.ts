/**
 * "Save as DICOM" through the same dispatch the app uses: the service writes a recorded
 * finding's objects into the exports folder beside the audit database and says where; no path
 * crosses from the renderer; a closed scan and a PNG scan are refused with their reasons.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openServices } from '../electron/services-harness';
import { DEMO_BUNDLE, DEMO_SCAN, DEMO_SENTENCE, DEMO_STUDIES, assertValid } from './helpers';

const { services, dispatch, call, waitForJob } = openServices(DEMO_BUNDLE);
after(() => services.dispose());

async function recordedOn(path: string): Promise<{ scanId: string; findingId: string; seq: number }> {
  const scan = await call('scan:open', { path });
  const { jobId } = await call('explain:start', { scanId: scan.id, text: DEMO_SENTENCE });
  const state = await waitForJob(jobId);
  assert.equal(state.state, 'done', JSON.stringify(state));
  if (state.state !== 'done') throw new Error('no explanation');
  const finding = await call('finding:record', { explanationId: state.explanation.id, reviewer: 'Dr Ann Smith', decision: 'uncertain', note: '' });
  return { scanId: scan.id, findingId: finding.findingId, seq: finding.seq };
}

test('finding:dicom writes the four objects into <exports>/dicom/candor-finding-<seq> beside the audit database', async () => {
  const { scanId, findingId, seq } = await recordedOn(DEMO_SCAN);
  const saved = await call('finding:dicom', { findingId });
  const { dbPath } = await call('app:info', {});
  assert.equal(saved.folder, join(dirname(dbPath!), 'exports', 'dicom', `candor-finding-${seq}`));
  assert.deepEqual(saved.objects.map((o) => o.kind), ['parametric-map', 'segmentation', 'secondary-capture', 'structured-report']);
  assert.deepEqual(saved.files, saved.objects.map((o) => join(saved.folder, o.fileName)));
  for (const f of saved.files) assertValid(f);
  // Saving again writes the same instances (same UIDs), not new ones.
  const again = await call('finding:dicom', { findingId });
  assert.deepEqual(again.objects.map((o) => o.sopInstanceUid), saved.objects.map((o) => o.sopInstanceUid));
  await call('scan:close', { scanId });
});

test('the renderer cannot choose the folder: a request with a path is invalid', async () => {
  const res = await dispatch('finding:dicom', { findingId: 'x', outDir: '/tmp/elsewhere' });
  assert.equal(res.ok, false);
  if (!res.ok) {
    assert.equal(res.error.code, 'invalid-request');
    assert.match(res.error.message, /outDir/);
  }
});

test('a finding whose scan is no longer open, and a finding on a PNG, are refused with their reasons', async () => {
  const { scanId, findingId, seq } = await recordedOn(DEMO_SCAN);
  await call('scan:close', { scanId });
  const closed = await dispatch('finding:dicom', { findingId });
  assert.equal(closed.ok, false);
  if (!closed.ok) {
    assert.equal(closed.error.code, 'not-found');
    assert.match(closed.error.message, new RegExp(`the scan of finding #${seq} is not open in this session .* open it again`));
  }
  const png = await recordedOn(join(DEMO_STUDIES, 'demo-01.png'));
  const refused = await dispatch('finding:dicom', { findingId: png.findingId });
  assert.equal(refused.ok, false);
  if (!refused.ok) {
    assert.equal(refused.error.code, 'bad-input');
    assert.match(refused.error.message, /demo-01\.png: is a PNG image, not DICOM/);
  }
  assert.equal(existsSync(join(dirname((await call('app:info', {})).dbPath!), 'exports', 'dicom', `candor-finding-${png.seq}`)), false);
});
