/**
 * explain:prepare through the dispatch the app uses, on the demo model: the graphs for a layer and
 * precision the reader has chosen are built before the click, so that click creates no onnxruntime
 * session; a layer the model does not have, or no model, prepares nothing and fails nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Request } from '../../electron/api/contract';
import { DEMO_MODEL, DEMO_SCAN, openServices } from './services-harness';
import { probeForFile } from './session-probe';
import { testTempDir } from '../temp-dir';

const TEXT = 'Round nodule in the right upper zone. No pleural effusion.';

const probe = probeForFile();

test('explain:prepare builds the chosen layer and precision ahead of the click: that explanation creates no session; one not prepared does', async () => {
  const s = openServices(DEMO_MODEL, { cacheFolder: testTempDir('candor-prepare-cache-') });
  try {
    const { id: scanId } = await s.call('scan:open', { path: DEMO_SCAN });
    // The default graphs, built when the model loads: prepare waits for them too.
    assert.deepEqual(await s.call('explain:prepare', {}), { prepared: true });
    // Built already, the graphs are only warmed by two whole explanations without metrics, each making
    // both towers' encodings and one run of each tower's NIB graph (its 10 steps in one batch); nothing is created.
    const runs = probe.runsStarted();
    const sessions = probe.created().length;
    assert.deepEqual(await s.call('explain:prepare', {}), { prepared: true });
    assert.equal(probe.runsStarted() - runs, 8, 'twice: two encodings and one run of each NIB graph');
    assert.equal(probe.created().length, sessions, 'a second prepare creates no session');
    const explainIn = async (layer: number): Promise<number> => {
      const request: Request<'explain:start'> = { scanId, frame: 1, text: TEXT, method: 'nib', layer, steps: 4, target: 'both', precision: 'int8' };
      const before = probe.created().length;
      const { jobId } = await s.call('explain:start', request);
      const state = await s.waitForJob(jobId);
      assert.equal(state.state, 'done', JSON.stringify(state).slice(0, 300));
      return probe.created().length - before;
    };

    const beforePrepare = probe.created().length;
    assert.deepEqual(await s.call('explain:prepare', { layer: 2, precision: 'int8' }), { prepared: true });
    assert.ok(probe.created().length > beforePrepare, 'the graphs were built by prepare');
    assert.equal(await explainIn(2), 0, 'the prepared layer and precision: nothing is built on the click');
    assert.ok((await explainIn(3)) > 0, 'a layer not prepared: its graphs are built on the click');
  } finally {
    await s.services.dispose?.();
  }
});

test('explain:prepare of a layer the model lacks, or with no model, prepares nothing and answers false', async () => {
  const s = openServices(DEMO_MODEL, { cacheFolder: testTempDir('candor-prepare-cache-') });
  const none = openServices(null as unknown as string);
  try {
    assert.deepEqual(await s.call('explain:prepare', { layer: 40 }), { prepared: false });
    // the app keeps working: the model still explains
    assert.deepEqual(await s.call('explain:prepare', { layer: 1 }), { prepared: true });
    assert.deepEqual(await none.call('explain:prepare', { precision: 'int8' }), { prepared: false });
  } finally {
    await s.services.dispose?.();
    await none.services.dispose?.();
  }
});
