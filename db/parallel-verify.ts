/**
 * Parallel fast pass for verify(): the chain is cut into contiguous seq ranges; this thread
 * scans the first while worker threads (verify-worker.ts, each with its own read-only
 * connection) scan the others. verify() is synchronous, so this thread then sleeps on a
 * shared flag (Atomics.wait) and takes each result with receiveMessageOnPort. The seams are
 * checked by the caller: each range's first prev_hash must be the previous range's last hash.
 *
 * Where no worker can run (no worker entry beside a bundle, an in-memory database, a single
 * core, a worker that fails), the caller scans everything in this thread instead.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { RangeScan } from './chain';

export interface RangeTask {
  path: string;
  after: number;
  upto: number;
}
export type RangeReply = { ok: true; scan: RangeScan } | { ok: false; error: string };

/** Below this many events a worker's start-up costs more than it saves. */
const PARALLEL_MIN_EVENTS = 20_000;
const MAX_WORKERS = 8;

let entryOverride: string | null | undefined;
let minEvents = PARALLEL_MIN_EVENTS;
let maxWorkers = MAX_WORKERS;
let forcedParts: number | null = null;
let workersBroken = false;
let lastRun = { ranges: 0, byWorkers: 0 };

/**
 * entry: where the worker entry is (a bundle that builds it elsewhere says so; null: never
 * use workers). minEvents/maxWorkers/parts: when and how finely to split (tests use small files).
 */
export function configureParallelVerify(change: { entry?: string | null; minEvents?: number; maxWorkers?: number; parts?: number | null }): void {
  if ('entry' in change) entryOverride = change.entry;
  if (change.parts !== undefined) forcedParts = change.parts;
  if (change.minEvents !== undefined) minEvents = change.minEvents;
  if (change.maxWorkers !== undefined) maxWorkers = change.maxWorkers;
  workersBroken = false;
}

/** How the last parallel scan went: ranges scanned, and how many of them by workers. */
export function lastParallelScan(): { ranges: number; byWorkers: number } {
  return { ...lastRun };
}

/** The .ts source under tsx, or a built verify-worker.cjs/.js beside the bundle. */
function workerEntry(): string | null {
  if (entryOverride !== undefined) return entryOverride;
  for (const name of ['./verify-worker.ts', './verify-worker.cjs', './verify-worker.js']) {
    try {
      const path = fileURLToPath(new URL(name, import.meta.url));
      if (existsSync(path)) return path;
    } catch {
      return null;
    }
  }
  return null;
}

/** How many ranges to cut `events` into: one per core (at most MAX_WORKERS), or 1 where workers cannot help. */
export function parallelParts(path: string, events: number): number {
  if (workersBroken || events < minEvents || path === '' || path === ':memory:' || !existsSync(path) || !workerEntry()) return 1;
  if (forcedParts !== null) return forcedParts;
  return Math.max(1, Math.min(availableParallelism(), maxWorkers + 1, Math.floor(events / Math.max(1, minEvents / 2))));
}

/** (after, upto] cut into `parts` contiguous ranges of nearly equal length. */
export function splitRange(after: number, upto: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  const n = upto - after;
  for (let i = 0; i < parts; i++) out.push([after + Math.floor((n * i) / parts), after + Math.floor((n * (i + 1)) / parts)]);
  return out;
}

/**
 * Source runs (tsx): the worker registers tsx's loader itself (loader hooks are per thread);
 * a failure to load still raises the flag, so the waiting thread never sleeps on a dead worker.
 */
function bootstrap(entry: string): string {
  const url = JSON.stringify(pathToFileURL(entry).href);
  return `
    const { workerData } = require('node:worker_threads');
    import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${url}); }).catch((err) => {
      workerData.port.postMessage({ ok: false, error: 'the verify worker did not start: ' + (err && err.message ? err.message : String(err)) });
      Atomics.store(workerData.done, 0, 1);
      Atomics.notify(workerData.done, 0);
    });`;
}

interface Running {
  worker: Worker;
  port: MessagePort;
  done: Int32Array;
}
type MessagePort = InstanceType<typeof MessageChannel>['port1'];

function start(entry: string, task: RangeTask): Running {
  const { port1, port2 } = new MessageChannel();
  const done = new Int32Array(new SharedArrayBuffer(4));
  const workerData = { ...task, port: port2, done };
  const worker = entry.endsWith('.ts')
    ? new Worker(bootstrap(entry), { eval: true, workerData, transferList: [port2] })
    : new Worker(entry, { workerData, transferList: [port2] });
  worker.unref();
  // Errors reach this thread only after the wait; the flag's deadline covers a worker that died silently.
  worker.on('error', () => {});
  return { worker, port: port1, done };
}

/** Waits for one worker's reply until `deadline` (performance.now() time); null when none came. */
function waitFor(r: Running, deadline: number): RangeReply | null {
  while (Atomics.load(r.done, 0) === 0) {
    const left = deadline - performance.now();
    if (left <= 0) return null;
    Atomics.wait(r.done, 0, 0, Math.min(left, 1000));
  }
  const msg = receiveMessageOnPort(r.port);
  return msg ? (msg.message as RangeReply) : null;
}

/**
 * Scans `ranges` (the first in this thread through `scanHere`, the rest on workers) and returns
 * their results in order; null when workers could not do their part (the caller then scans
 * those ranges itself or falls back to one thread).
 */
export function scanRangesInParallel(path: string, ranges: [number, number][], scanHere: (after: number, upto: number) => RangeScan): (RangeScan | null)[] {
  const entry = workerEntry();
  const running: (Running | null)[] = ranges.slice(1).map(([after, upto]) => {
    if (!entry || workersBroken) return null;
    try {
      return start(entry, { path, after, upto });
    } catch {
      workersBroken = true;
      return null;
    }
  });
  const t0 = performance.now();
  const first = scanHere(ranges[0][0], ranges[0][1]);
  // A worker's range is as long as this one: allow it four times as long, plus its start-up.
  const deadline = performance.now() + 4 * (performance.now() - t0) + 10_000;
  const out: (RangeScan | null)[] = [first];
  for (const r of running) {
    let reply: RangeReply | null = null;
    if (r) {
      reply = waitFor(r, deadline);
      void r.worker.terminate();
      r.port.close();
    }
    if (!reply || !reply.ok) workersBroken = workersBroken || (r !== null && reply === null);
    out.push(reply && reply.ok ? reply.scan : null);
  }
  lastRun = { ranges: ranges.length, byWorkers: out.slice(1).filter((r) => r !== null).length };
  return out;
}
