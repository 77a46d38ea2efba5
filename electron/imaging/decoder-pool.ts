/**
 * Runs frame decodes on a worker thread so the Electron main process (and its IPC) never
 * blocks on a codec. Each job has a time limit: a codec that hangs on a hostile file is
 * stopped by terminating its worker, and the next job gets a fresh one. Where no worker
 * can be started (e.g. a bundle without the worker entry) decoding runs in-thread.
 */
import { Worker } from 'node:worker_threads';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ImagingError } from './errors';
import { jobBuffers, runDecodeJob, type DecodeJob, type DecodeResult } from './decode-job';
import type { WorkerReply } from './decode-worker';

export interface DecoderSettings {
  /** Path of the worker entry (a built `decode-worker.js` in a bundle). */
  workerPath: string | null;
  /** Decode in the calling thread (tests of the codecs themselves, or no worker available). */
  inThread: boolean;
  /** A single frame may take at most this long. */
  timeoutMs: number;
}

/**
 * The worker entry next to this module: the .ts source under tsx, or a built
 * `decode-worker.cjs`/`.js` next to the bundle (build it as its own esbuild entry point).
 */
function defaultWorkerPath(): string | null {
  for (const name of ['./decode-worker.ts', './decode-worker.cjs', './decode-worker.js']) {
    try {
      const path = fileURLToPath(new URL(name, import.meta.url));
      if (existsSync(path)) return path;
    } catch {
      return null;
    }
  }
  return null;
}

const settings: DecoderSettings = {
  workerPath: null,
  inThread: process.env.CANDOR_DECODE_IN_THREAD === '1',
  timeoutMs: Number(process.env.CANDOR_DECODE_TIMEOUT_MS) || 30_000,
};
let resolvedDefault = false;

export function configureDecoder(change: Partial<DecoderSettings>): void {
  Object.assign(settings, change);
  if (change.workerPath !== undefined) resolvedDefault = true;
  shutdownWorker();
}

interface Pending {
  id: number;
  job: DecodeJob;
  resolve: (result: DecodeResult) => void;
  reject: (err: Error) => void;
}

let worker: Worker | null = null;
let workerFailed = false;
/** Workers that have answered at least once: a worker that dies before that could not start at all. */
const proven = new WeakSet<Worker>();
let current: Pending | null = null;
let timer: NodeJS.Timeout | null = null;
const queue: Pending[] = [];
let nextId = 1;

function shutdownWorker(): void {
  if (worker) {
    const w = worker;
    worker = null;
    void w.terminate();
  }
}

/**
 * Source runs (tsx): the worker registers tsx's loader itself, since loader hooks are per thread.
 * tsx's ESM API is named by its file URL (from tsx's own exports map): eval'd code resolves bare
 * names from the working directory, which need not be the repository.
 */
function tsBootstrap(path: string): string {
  const url = JSON.stringify(pathToFileURL(path).href);
  const pkg = createRequire(path).resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(pkg, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!.import.default;
  const tsx = JSON.stringify(pathToFileURL(join(dirname(pkg), api)).href);
  return `import(${tsx}).then((tsx) => { tsx.register(); return import(${url}); }).catch((err) => { throw err; });`;
}

function startWorker(): Worker | null {
  if (!resolvedDefault) {
    settings.workerPath ??= defaultWorkerPath();
    resolvedDefault = true;
  }
  if (!settings.workerPath || workerFailed) return null;
  try {
    const w = settings.workerPath.endsWith('.ts') ? new Worker(tsBootstrap(settings.workerPath), { eval: true }) : new Worker(settings.workerPath);
    w.on('message', (reply: WorkerReply) => finish(w, reply));
    w.on('error', (err) => crash(w, `the decoder stopped (${err.message})`));
    w.on('exit', (code) => crash(w, `the decoder exited unexpectedly (code ${code})`));
    w.unref();
    return w;
  } catch {
    workerFailed = true;
    return null;
  }
}

function clearTimer(): void {
  if (timer) clearTimeout(timer);
  timer = null;
}

function finish(w: Worker, reply: WorkerReply): void {
  if (w !== worker || !current || current.id !== reply.id) return;
  proven.add(w);
  const job = current;
  current = null;
  clearTimer();
  if (reply.ok) job.resolve(reply.result);
  else job.reject(new ImagingError(reply.file, reply.reason));
  pump();
}

function crash(w: Worker, reason: string): void {
  if (w !== worker) return;
  worker = null;
  clearTimer();
  const job = current;
  current = null;
  if (!proven.has(w)) {
    // The worker never ran (e.g. a bundle without a usable worker entry): decode in-thread from now on.
    workerFailed = true;
    if (job) queue.unshift(job);
  } else if (job) job.reject(new ImagingError(job.job.file, reason));
  pump();
}

function pump(): void {
  if (current || queue.length === 0) {
    if (!current) worker?.unref();
    return;
  }
  const next = queue.shift()!;
  worker ??= startWorker();
  if (!worker) {
    // No worker: decode here, still one job at a time.
    current = next;
    runDecodeJob(next.job).then(next.resolve, next.reject).finally(() => {
      current = null;
      pump();
    });
    return;
  }
  current = next;
  worker.ref();
  const w = worker;
  timer = setTimeout(() => {
    if (current !== next) return;
    worker = null;
    current = null;
    void w.terminate();
    next.reject(new ImagingError(next.job.file, `decoding took longer than ${Math.round(settings.timeoutMs / 1000)} s and was stopped`));
    pump();
  }, settings.timeoutMs);
  timer.unref();
  // Until a worker has answered once, keep the job's bytes here (copy, don't transfer): if it
  // cannot start, the job is decoded in-thread instead.
  w.postMessage({ id: next.id, job: next.job }, proven.has(w) ? jobBuffers(next.job) : []);
}

export function decodeFrame(job: DecodeJob): Promise<DecodeResult> {
  if (settings.inThread) return runDecodeJob(job);
  return new Promise<DecodeResult>((resolve, reject) => {
    queue.push({ id: nextId++, job, resolve, reject });
    pump();
  });
}

/** Where frames are decoded now: on a worker thread, or in the calling thread (and why). */
export function decoderStatus(): { mode: 'worker' | 'in-thread'; workerPath: string | null; reason: string | null } {
  if (!resolvedDefault) {
    settings.workerPath ??= defaultWorkerPath();
    resolvedDefault = true;
  }
  if (settings.inThread) return { mode: 'in-thread', workerPath: null, reason: 'configured to decode in-thread' };
  if (!settings.workerPath) return { mode: 'in-thread', workerPath: null, reason: 'no decode-worker entry found next to the imaging module' };
  if (workerFailed) return { mode: 'in-thread', workerPath: settings.workerPath, reason: 'the decode worker could not be started' };
  return { mode: 'worker', workerPath: settings.workerPath, reason: null };
}

/** Stops the worker (tests, app shutdown). Pending jobs fail. */
export async function stopDecoder(): Promise<void> {
  clearTimer();
  const w = worker;
  worker = null;
  const pending = [...(current ? [current] : []), ...queue.splice(0)];
  current = null;
  for (const p of pending) p.reject(new ImagingError(p.job.file, 'the decoder was stopped'));
  if (w) await w.terminate();
}
