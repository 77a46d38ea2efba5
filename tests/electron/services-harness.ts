/** The real main-process services behind the dispatch the app uses, with an audit database in a temporary folder. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createDispatch } from '../../electron/ipc/handlers';
import { createServices, type ServiceConfig } from '../../electron/services/index';
import type { ApiError, Channel, ExplainJobState, Request, Response } from '../../electron/api/contract';
import { testTempDir } from '../temp-dir';
import { repoRoot } from '../../electron/version';

/** The demo model and one of its studies (a DICOM file). */
export const DEMO_MODEL = join(repoRoot(), 'native-models', 'demo', 'bundle');
export const DEMO_SCAN = join(repoRoot(), 'native-models', 'demo', 'studies', 'demo-01.dcm');

/** Longest a test waits for one explanation job to leave `running`. */
export const JOB_TIMEOUT_MS = 120_000;

/** The services with their database and installation folder (key, trust store, anchors, reports) in a temporary folder. */
export function openServices(modelDir: string, config: Partial<ServiceConfig> = {}) {
  const dir = testTempDir('candor-services-');
  const services = createServices({ appVersion: 'test', modelDir, samplesIndex: null, dbPath: join(dir, 'audit.sqlite'), configDir: join(dir, 'config'), ...config });
  // The folder outlives dispose (tests read the exit anchor and reopen the log); testTempDir removes it when the test file's process exits.
  const dispatch = createDispatch(services);

  async function call<C extends Channel>(channel: C, request: Request<C>): Promise<Response<C>> {
    const res = await dispatch(channel, request);
    if (!res.ok) throw new Error(`${channel}: ${res.error.code}: ${res.error.message}`);
    return res.value as Response<C>;
  }

  /** The error a request must fail with. */
  async function refused<C extends Channel>(channel: C, request: Request<C>): Promise<ApiError> {
    const res = await dispatch(channel, request);
    assert.equal(res.ok, false, `${channel} should have failed`);
    return (res as { ok: false; error: ApiError }).error;
  }

  /** Polls until the job is no longer running; fails after JOB_TIMEOUT_MS. */
  async function waitForJob(jobId: string, pollMs = 20): Promise<ExplainJobState> {
    const deadline = Date.now() + JOB_TIMEOUT_MS;
    for (;;) {
      const state = await call('explain:poll', { jobId });
      if (state.state !== 'running') return state;
      if (Date.now() > deadline) throw new Error(`explanation job ${jobId} still running after ${JOB_TIMEOUT_MS / 1000} s (stage ${state.stage})`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  return { dir, services, dispatch, call, refused, waitForJob };
}
