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
  /** Settles when the work has returned or thrown: no model run of this job is left after it. */
  settled: Promise<void>;
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
    const controller = new AbortController();
    const job: Job<Done> = { state: { state: 'running', progress: 0, stage: 'starting' }, controller, finishedAt: null, settled: Promise.resolve() };
    this.jobs.set(jobId, job);
    this.prune();
    // Progress stops counting at the cancel: the work may still finish the model run it is in.
    const progress = (fraction: number, stage: string) => {
      if (job.state.state === 'running' && !controller.signal.aborted) job.state = { state: 'running', progress: Math.max(0, Math.min(1, fraction)), stage };
    };
    const finish = (state: JobState<Done>): void => {
      job.state = state;
      job.finishedAt = Date.now();
    };
    // Yield once so the caller gets the job id before any synchronous work starts.
    const begun = new Promise<void>((ok) => setTimeout(ok, 0));
    // The job reads "cancelled" only once its work has stopped, so a poller that sees it knows no model run is left.
    job.settled = begun
      .then(() => work(controller.signal, progress))
      .then(
        (result) => finish(controller.signal.aborted ? { state: 'cancelled' } : this.done(result)),
        (err: unknown) => {
          const error = toApiError(err);
          const cancelled = controller.signal.aborted || error.code === 'cancelled';
          if (!cancelled && isBug(error)) this.log(`[${this.kind} job] ${err instanceof Error ? (err.stack ?? err.message) : error.message}`);
          finish(cancelled ? { state: 'cancelled' } : { state: 'failed', error });
        },
      );
    return jobId;
  }

  poll(jobId: string): JobState<Done> {
    const job = this.jobs.get(jobId);
    if (!job) throw new NotFoundError(`no ${this.kind} job ${jobId}`);
    return job.state;
  }

  /**
   * Aborts the job's signal; every method checks it between model runs, so the work stops after
   * the run it is in. The job stays `running` (stage "cancelling") until then.
   */
  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job) throw new NotFoundError(`no ${this.kind} job ${jobId}`);
    if (job.state.state !== 'running' || job.controller.signal.aborted) return false;
    job.controller.abort();
    job.state = { ...job.state, stage: 'cancelling' };
    return true;
  }

  /** Stops every running job and resolves when none is left running (the app or the test host is shutting down). */
  async dispose(): Promise<void> {
    const running = [...this.jobs.values()].filter((job) => job.state.state === 'running');
    for (const job of running) job.controller.abort();
    await Promise.all(running.map((job) => job.settled));
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
