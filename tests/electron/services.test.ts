import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openServices } from './services-harness';
import { FIXTURES } from '../shared-fixtures';

const MODEL = join(FIXTURES, 'models', 'mini-clip');
const REF = join(FIXTURES, 'reference');
const { services, dispatch, call, waitForJob } = openServices(MODEL);
after(() => services.dispose());

test('open → explain → record → list → get, through the same dispatch the app uses', async () => {
  const info = await call('app:info', {});
  assert.equal(info.model?.name, 'mini-clip');
  assert.match(info.model?.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.equal(info.provider, 'cpu');

  const scan = await call('scan:open', { path: join(REF, 'case03.png') });
  const text = 'Right upper lobe consolidation (pneumonia).';
  const { jobId } = await call('explain:start', { scanId: scan.id, text, layer: 1, steps: 10 });
  const state = await waitForJob(jobId);
  assert.equal(state.state, 'done', JSON.stringify(state));
  if (state.state !== 'done') return;
  const e = state.explanation;
  assert.equal(e.method, 'nib');
  assert.equal(e.input.scanSha256, scan.sha256);
  assert.ok(e.image && e.image.map.values.length === e.image.map.width * e.image.map.height);
  assert.ok(e.text && e.text.tokens.length === 10);

  const finding = await call('finding:record', { explanationId: e.id, reviewer: 'Dr. Test', decision: 'agree', note: 'matches' });
  assert.ok(finding.seq >= 1);
  const listed = await call('audit:list', { reviewer: 'Dr. Test' });
  assert.equal(listed.chain.ok, true);
  assert.equal(listed.rows.length, 1);
  assert.equal(listed.rows[0]!.decision, 'agree');
  const back = await call('audit:get', { findingId: finding.findingId });
  assert.equal(back.explanation.similarity, e.similarity);
  assert.deepEqual(Array.from(back.explanation.image!.map.values), Array.from(e.image!.map.values));
});

test('an explanation can be cancelled and a missing explanation cannot be recorded', async () => {
  const scan = await call('scan:open', { path: join(REF, 'case01.png') });
  const { jobId } = await call('explain:start', { scanId: scan.id, text: 'No pleural effusion.', method: 'rise' });
  const cancelled = await call('explain:cancel', { jobId });
  assert.equal(cancelled.cancelled, true);
  assert.equal((await waitForJob(jobId)).state, 'cancelled');
  const res = await dispatch('finding:record', { explanationId: 'nope', reviewer: 'x', decision: 'agree' });
  assert.equal(res.ok, false);
  if (!res.ok) assert.equal(res.error.code, 'not-found');
});

test('an explanation is recorded once; a second finding for it needs again: true', async () => {
  const scan = await call('scan:open', { path: join(REF, 'case03.png') });
  const { jobId } = await call('explain:start', { scanId: scan.id, text: 'No pleural effusion.', layer: 1, steps: 2 });
  const state = await waitForJob(jobId);
  assert.equal(state.state, 'done', JSON.stringify(state));
  if (state.state !== 'done') return;
  const request = { explanationId: state.explanation.id, reviewer: 'Dr. Twice', decision: 'agree' as const, note: 'same second' };
  const first = await call('finding:record', request);
  const twice = await dispatch('finding:record', request);
  assert.equal(twice.ok, false, 'the same explanation is not recorded twice by accident');
  if (!twice.ok) {
    assert.equal(twice.error.code, 'bad-input');
    assert.match(twice.error.message, new RegExp(`already recorded as audit entry #${first.seq}.*again`));
  }
  const again = await call('finding:record', { ...request, decision: 'uncertain', again: true });
  assert.equal(again.seq, first.seq + 1);
  const rows = (await call('audit:list', { reviewer: 'Dr. Twice' })).rows;
  assert.deepEqual(rows.map((r) => r.decision).sort(), ['agree', 'uncertain'], 'exactly the two findings meant');
});
