/**
 * Long work in the main process runs as a job the renderer polls every ~100 ms (explanations, PACS
 * transfers): start it, report its progress, return its result, and stop it through its cancel
 * channel when the caller aborts. Nothing here blocks the UI.
 */
import type { ApiError } from '../../electron/api/contract';
import { ApiFailure } from './api';

export const POLL_MS = 100;

export type PolledState<Done> = { state: 'running'; progress: number; stage: string } | Done | { state: 'failed'; error: ApiError } | { state: 'cancelled' };

export interface PolledJob<Done extends { state: 'done' }> {
  start(): Promise<{ jobId: string }>;
  poll(jobId: string): Promise<PolledState<Done>>;
  cancel(jobId: string): Promise<unknown>;
  /** The error for a cancelled job (quiet in the UI). */
  cancelled(): Error;
}

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

export async function runPolledJob<Done extends { state: 'done' }>(job: PolledJob<Done>, onProgress: (fraction: number, stage: string) => void, signal: AbortSignal): Promise<Done> {
  if (signal.aborted) throw job.cancelled();
  const { jobId } = await job.start();
  const cancel = () => {
    void job.cancel(jobId).catch(() => undefined);
  };
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      await sleep(POLL_MS);
      if (signal.aborted) throw job.cancelled();
      const state = await job.poll(jobId);
      if (signal.aborted) throw job.cancelled();
      if (state.state === 'running') onProgress(state.progress, state.stage);
      else if (state.state === 'cancelled') throw job.cancelled();
      else if (state.state === 'failed') throw new ApiFailure(state.error);
      else return state as Done;
    }
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}
