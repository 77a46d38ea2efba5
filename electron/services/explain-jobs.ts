/**
 * Long work runs as jobs the renderer polls (explanations, PACS transfers): the same contract
 * then works over Electron IPC and over the test host's HTTP, and cancel reaches the work
 * through its AbortSignal.
 */
import { randomUUID } from 'node:crypto';
import type { ApiError } from '../api/contract';
import { NotFoundError } from '../../native-models/errors';
import { isBug, toApiError } from '../ipc/handlers';

export type JobWork<T> = (signal: AbortSignal, progress: (fraction: number, stage: string) => void) => Promise<T>;

/** A job's state as polled; `Done` is the finished state with its result (each kind names its own field). */
export type JobState<Done> = { state: 'running'; progress: number; stage: string } | Done | { state: 'failed'; error: ApiError } | { state: 'cancelled' };

interface Job<Done> {
  state: JobState<Done>;
  controller: AbortController;
  finishedAt: number | null;
}

/**
 * A finished job is kept until its poller has read it: at most this long, and only the newest
 * KEEP_FINISHED_JOBS of them (a done job holds its whole explanation; the renderer polls within
 * a fraction of a second, so a long session must not keep every result for ten minutes).
 */
const KEEP_FINISHED_MS = 10 * 60 * 1000;
export const KEEP_FINISHED_JOBS = 16;

export class JobRunner<T, Done extends { state: 'done' }> {
  private readonly jobs = new Map<string, Job<Done>>();

  /** `done` wraps a result as the finished state; `kind` names the jobs in the log. */
  constructor(
    private readonly done: (result: T) => Done,
    private readonly kind = 'explanation',
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {}

  start(work: JobWork<T>): string {
    const jobId = randomUUID();
    const job: Job<Done> = { state: { state: 'running', progress: 0, stage: 'starting' }, controller: new AbortController(), finishedAt: null };
    this.jobs.set(jobId, job);
    this.prune();
    const progress = (fraction: number, stage: string) => {
      if (job.state.state === 'running') job.state = { state: 'running', progress: Math.max(0, Math.min(1, fraction)), stage };
    };
    // Yield once so the caller gets the job id before any synchronous work starts.
    setTimeout(() => {
      work(job.controller.signal, progress).then(
        (result) => {
          job.state = job.controller.signal.aborted ? { state: 'cancelled' } : this.done(result);
          job.finishedAt = Date.now();
        },
        (err: unknown) => {
          const error = toApiError(err);
          const cancelled = job.controller.signal.aborted || error.code === 'cancelled';
          if (!cancelled && isBug(error)) this.log(`[${this.kind} job] ${err instanceof Error ? (err.stack ?? err.message) : error.message}`);
          job.state = cancelled ? { state: 'cancelled' } : { state: 'failed', error };
          job.finishedAt = Date.now();
        },
      );
    }, 0);
    return jobId;
  }

  poll(jobId: string): JobState<Done> {
    const job = this.jobs.get(jobId);
    if (!job) throw new NotFoundError(`no ${this.kind} job ${jobId}`);
    return job.state;
  }

  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job) throw new NotFoundError(`no ${this.kind} job ${jobId}`);
    if (job.state.state !== 'running') return false;
    job.controller.abort();
    job.state = { state: 'cancelled' };
    job.finishedAt = Date.now();
    return true;
  }

  /** Stops every running job (the app or the test host is shutting down). */
  dispose(): void {
    for (const job of this.jobs.values()) if (job.state.state === 'running') job.controller.abort();
  }

  private prune(): void {
    const now = Date.now();
    const finished: { id: string; at: number }[] = [];
    for (const [id, job] of this.jobs) if (job.finishedAt !== null) finished.push({ id, at: job.finishedAt });
    finished.sort((a, b) => b.at - a.at);
    for (const [k, { id, at }] of finished.entries()) {
      if (k >= KEEP_FINISHED_JOBS || now - at > KEEP_FINISHED_MS) this.jobs.delete(id);
    }
  }
}
