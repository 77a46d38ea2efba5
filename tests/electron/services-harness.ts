/** The real main-process services behind the dispatch the app uses, with an audit database in a temporary folder. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatch } from '../../electron/ipc/handlers';
import { createServices, type ServiceConfig } from '../../electron/services/index';
import type { ApiError, Channel, ExplainJobState, Request, Response } from '../../electron/api/contract';

/** The services with their database and installation folder (key, trust store, anchors, reports) in a temporary folder. */
export function openServices(modelDir: string, config: Partial<ServiceConfig> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'candor-services-'));
  const services = createServices({ appVersion: 'test', modelDir, samplesIndex: null, dbPath: join(dir, 'audit.sqlite'), configDir: join(dir, 'config'), ...config });
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

  async function waitForJob(jobId: string, pollMs = 20): Promise<ExplainJobState> {
    for (;;) {
      const state = await call('explain:poll', { jobId });
      if (state.state !== 'running') return state;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  return { dir, services, dispatch, call, refused, waitForJob };
}
