/**
 * Runs one PACS transfer through the job API (pacs:pull or pacs:push, then pacs:poll) and stops it
 * through pacs:cancel when the caller aborts: the main process then aborts the request or the
 * association and removes a partial pull.
 */
import type { TransferResult } from '../../../electron/api/contract';
import { call } from '../api';
import { UiError } from '../errors';
import { runPolledJob } from '../pollJob';

export class TransferCancelled extends UiError {
  constructor() {
    super('cancelled', 'The transfer was cancelled; nothing was kept.');
  }
}

export async function runTransferJob(start: () => Promise<{ jobId: string }>, onProgress: (fraction: number, stage: string) => void, signal: AbortSignal): Promise<TransferResult> {
  const done = await runPolledJob(
    {
      start,
      poll: (jobId) => call('pacs:poll', { jobId }),
      cancel: (jobId) => call('pacs:cancel', { jobId }),
      cancelled: () => new TransferCancelled(),
    },
    onProgress,
    signal,
  );
  return done.result;
}
