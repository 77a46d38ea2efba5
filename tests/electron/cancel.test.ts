/**
 * Cancel that is proven, not assumed: through the dispatch the app uses, with the demo model's
 * real onnxruntime sessions watched from outside (session-probe.ts). A cancel that arrives while
 * a model run is in flight lets that run finish and starts no other; the job reads "cancelled"
 * only once its work has stopped. Shutting the services down waits for running work and releases
 * every session exactly once, none while a run on it is in flight.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExplainJobState, Request } from '../../electron/api/contract';
import { DEMO_MODEL, DEMO_SCAN, openServices } from './services-harness';
import { probeForFile } from './session-probe';

const TEXT = 'Round nodule in the right upper zone. No pleural effusion.';

const probe = probeForFile();

/** Runs before the attribution's own: one per tower (the embeddings and the streams). */
const ENCODE_RUNS = 2;
/** The cancel comes while this attribution run (1-based) is in flight. */
const CANCEL_AT = 3;

interface Cancelled {
  /** The job's state polled while the interrupted run was still in flight. */
  whileInFlight: ExplainJobState;
  /** The state polled just before the cancel. */
  beforeCancel: ExplainJobState;
  final: ExplainJobState;
  runsAfterCancel: number;
  runsOfJob: number;
}

type Session = ReturnType<typeof openServices>;

async function cancelMidRun(s: Session, request: Request<'explain:start'>): Promise<Cancelled> {
  let at = -1;
  let beforeCancel: ExplainJobState | null = null;
  let whileInFlight: ExplainJobState | null = null;
  const first = probe.runsStarted();
  const { jobId } = await s.call('explain:start', request);
  probe.onRun(async (n) => {
    if (n - first !== ENCODE_RUNS + CANCEL_AT || at >= 0) return;
    beforeCancel = await s.call('explain:poll', { jobId });
    const res = await s.call('explain:cancel', { jobId });
    assert.equal(res.cancelled, true);
    at = probe.now();
    whileInFlight = await s.call('explain:poll', { jobId });
  });
  try {
    const final = await s.waitForJob(jobId, 5);
    assert.ok(at >= 0, `the job ended before its attribution run ${CANCEL_AT}: ${JSON.stringify(final).slice(0, 200)}`);
    return { whileInFlight: whileInFlight!, beforeCancel: beforeCancel!, final, runsAfterCancel: probe.runsStartedAfter(at), runsOfJob: probe.runsStarted() - first };
  } finally {
    probe.onRun(null);
  }
}

/** The runs the same request makes when nobody cancels it (also builds the method's graphs before the timed-out part). */
async function runsToFinish(s: Session, request: Request<'explain:start'>): Promise<number> {
  const first = probe.runsStarted();
  const { jobId } = await s.call('explain:start', request);
  const state = await s.waitForJob(jobId);
  assert.equal(state.state, 'done', JSON.stringify(state).slice(0, 300));
  return probe.runsStarted() - first;
}

test('NIB, RISE and IG cancelled mid-run: the run in flight ends, no other starts, and only then the job reads cancelled', async () => {
  const s = openServices(DEMO_MODEL);
  try {
    const scan = await s.call('scan:open', { path: DEMO_SCAN });
    const requests: Request<'explain:start'>[] = [
      { scanId: scan.id, frame: 1, text: TEXT, method: 'nib', steps: 200, target: 'both' },
      { scanId: scan.id, frame: 1, text: TEXT, method: 'rise', target: 'both' },
      { scanId: scan.id, frame: 1, text: TEXT, method: 'ig', steps: 200, target: 'both' },
    ];
    for (const request of requests) {
      const full = await runsToFinish(s, request);
      const c = await cancelMidRun(s, request);
      const label = request.method;
      assert.equal(c.beforeCancel.state, 'running', `${label}: running before the cancel`);
      if (c.beforeCancel.state === 'running') assert.equal(c.beforeCancel.stage, 'image', `${label}: cancelled during the image attribution`);
      // The run in flight has not returned, so the work has not stopped: the job must not claim it has.
      assert.equal(c.whileInFlight.state, 'running', `${label}: a job whose model run is still in flight is not yet cancelled`);
      if (c.whileInFlight.state === 'running') assert.equal(c.whileInFlight.stage, 'cancelling');
      assert.equal(c.final.state, 'cancelled', `${label}: ${JSON.stringify(c.final).slice(0, 200)}`);
      assert.equal(c.runsAfterCancel, 0, `${label}: ${c.runsAfterCancel} model runs started after the cancel returned`);
      assert.equal(c.runsOfJob, ENCODE_RUNS + CANCEL_AT, `${label}: the cancelled job made ${c.runsOfJob} runs (uncancelled: ${full})`);
      assert.ok(full > c.runsOfJob + 5, `${label}: the uncancelled job makes more runs (${full}) than the cancelled one`);
      assert.equal(probe.inFlight(), 0);
    }
    assert.deepEqual(probe.violations, []);
  } finally {
    await s.services.dispose();
  }
});

test('dispose during a running explanation waits for it, then releases every session once, none under a run', async () => {
  const createdBefore = probe.created().length;
  const s = openServices(DEMO_MODEL);
  const scan = await s.call('scan:open', { path: DEMO_SCAN });
  // The tail graphs exist before the job (the job must not be stuck in a graph build when disposed).
  await runsToFinish(s, { scanId: scan.id, frame: 1, text: TEXT, method: 'nib', steps: 1, target: 'both' });
  const first = probe.runsStarted();
  const { jobId } = await s.call('explain:start', { scanId: scan.id, frame: 1, text: TEXT, method: 'nib', steps: 200, target: 'both' });
  let disposing: Promise<void> | null = null;
  let at = -1;
  const disposeStarted = new Promise<void>((ok) => {
    probe.onRun((n) => {
      if (n - first !== ENCODE_RUNS + CANCEL_AT || disposing) return;
      at = probe.now();
      disposing = s.services.dispose();
      ok();
    });
  });
  await disposeStarted;
  await disposing;
  probe.onRun(null);
  assert.equal(probe.runsStartedAfter(at), 0, 'no model run starts once shutdown has begun');
  assert.deepEqual((await s.call('explain:poll', { jobId })).state, 'cancelled');
  const sessions = probe.created().slice(createdBefore);
  // Two towers, and the tail+gradient graphs of both towers at the default layer.
  assert.ok(sessions.length >= 4, `${sessions.length} sessions were created`);
  assert.deepEqual(sessions.map((x) => probe.releases(x)), sessions.map(() => 1), 'every session released exactly once');
  assert.deepEqual(probe.violations, []);
});

test('dispose right after the model loads waits for the graphs being built in the background', async () => {
  const createdBefore = probe.created().length;
  const s = openServices(DEMO_MODEL);
  const info = await s.call('app:info', {});
  assert.equal(info.model?.name, 'candor/demo-clip');
  await s.services.dispose();
  const sessions = probe.created().slice(createdBefore);
  assert.ok(sessions.length >= 2, `${sessions.length} sessions were created`);
  assert.deepEqual(sessions.map((x) => probe.releases(x)), sessions.map(() => 1), 'every session released exactly once');
  assert.deepEqual(probe.violations, []);
});
