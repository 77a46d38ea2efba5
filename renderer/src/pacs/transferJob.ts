/**
 * Runs one PACS transfer through the job API (pacs:pull or pacs:push, then pacs:poll every
 * ~100 ms) and stops it through pacs:cancel when the caller aborts: the main process then aborts
 * the request or the association and removes a partial pull.
 */
import type { TransferResult } from '../../../electron/api/contract';
import { ApiFailure, call } from '../api';
import { UiError } from '../errors';
import { POLL_MS } from '../explain/runJob';

export class TransferCancelled extends UiError {
  constructor() {
    super('cancelled', 'The transfer was cancelled; nothing was kept.');
  }
}

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

export async function runTransferJob(start: () => Promise<{ jobId: string }>, onProgress: (fraction: number, stage: string) => void, signal: AbortSignal): Promise<TransferResult> {
  if (signal.aborted) throw new TransferCancelled();
  const { jobId } = await start();
  const cancel = () => {
    void call('pacs:cancel', { jobId }).catch(() => undefined);
  };
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      await sleep(POLL_MS);
      const state = await call('pacs:poll', { jobId });
      if (state.state === 'running') onProgress(state.progress, state.stage);
      else if (state.state === 'done') return state.result;
      else if (state.state === 'cancelled' || signal.aborted) throw new TransferCancelled();
      else throw new ApiFailure(state.error);
    }
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}
