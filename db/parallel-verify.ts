/**
 * Parallel fast pass for verify(): the chain is cut into contiguous seq chunks that this
 * thread and worker threads (verify-worker.ts, each with its own read-only connection) take
 * one at a time from a shared counter. A worker that starts late (or never) simply takes
 * fewer chunks, so this thread never waits on a slow start; it waits at most for the chunks a
 * worker has in hand. verify() is synchronous, so that wait is Atomics.wait on a shared flag
 * and results come in through receiveMessageOnPort. The seams are checked by the caller:
 * each chunk's first prev_hash must be the previous chunk's last hash.
 *
 * Where no worker can run (no worker entry beside a bundle, an in-memory database, one core,
 * a worker that fails), this thread scans every chunk itself.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { RangeScan } from './chain';

type Port = InstanceType<typeof MessageChannel>['port1'];

/** What a worker gets: the file, the chunks, the shared counters. */
export interface ChunkTask {
  path: string;
  chunks: [number, number][];
  /** [0]: next chunk to take (Atomics.add); [1 + w]: 1 once worker w has finished. */
  shared: Int32Array;
  index: number;
  port: Port;
}
export type ChunkReply = { chunk: number; scan: RangeScan } | { chunk: -1; error: string };

/** Below this many events a worker's start-up costs more than it saves. */
const PARALLEL_MIN_EVENTS = 20_000;
const MAX_WORKERS = 7;
/** Chunks per thread: small enough that the last one does not keep the others waiting long. */
const CHUNKS_PER_THREAD = 8;

let entryOverride: string | null | undefined;
let minEvents = PARALLEL_MIN_EVENTS;
let forcedThreads: number | null = null;
let workersOnly = false;
let workersBroken = false;
let lastRun = { chunks: 0, threads: 1, byWorkers: 0 };

/**
 * entry: where the worker entry is (a bundle that builds it elsewhere says so; null: never
 * use workers). minEvents/threads: when and how widely to split (tests use small files).
 * workersOnly: this thread takes no chunk and waits for the workers (tests of the workers' part).
 */
export function configureParallelVerify(change: { entry?: string | null; minEvents?: number; threads?: number | null; workersOnly?: boolean }): void {
  if (change.workersOnly !== undefined) workersOnly = change.workersOnly;
  if ('entry' in change) entryOverride = change.entry;
  if (change.minEvents !== undefined) minEvents = change.minEvents;
  if (change.threads !== undefined) forcedThreads = change.threads;
  workersBroken = false;
}

/** How the last scan went: chunks, threads used (this one included), chunks done by workers. */
export function lastParallelScan(): { chunks: number; threads: number; byWorkers: number } {
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

/**
 * Threads (this one included) worth using for `events` events of the file at `path`: as many
 * as there are cores not busy with other processes. The 1-minute load average counts this
 * process too (a bench that has just written for minutes), so its own average CPU use is taken
 * off. On a machine whose cores are busy a worker only adds its start-up to the same CPU time:
 * measured slower than one thread on 2 loaded cores.
 */
function threadsFor(path: string, events: number): number {
  if (workersBroken || events < minEvents || path === '' || path === ':memory:' || !existsSync(path) || !workerEntry()) return 1;
  if (forcedThreads !== null) return Math.max(1, forcedThreads);
  const cores = availableParallelism();
  const used = process.cpuUsage();
  const own = (used.user + used.system) / 1e6 / Math.max(1, process.uptime());
  const others = Math.max(0, loadavg()[0] - own); // loadavg is 0 where the platform has none (Windows): all cores idle
  return Math.max(1, Math.min(cores, MAX_WORKERS + 1, Math.floor(cores - others + 0.5)));
}

/** (after, upto] cut into `parts` contiguous ranges of nearly equal length. */
export function splitRange(after: number, upto: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  const n = upto - after;
  for (let i = 0; i < parts; i++) out.push([after + Math.floor((n * i) / parts), after + Math.floor((n * (i + 1)) / parts)]);
  return out.filter(([a, b]) => b > a);
}

/**
 * Source runs (tsx): the worker registers tsx's loader itself (loader hooks are per thread);
 * a failure to load still marks the worker finished, so nobody waits on a dead one.
 */
function bootstrap(entry: string): string {
  const url = JSON.stringify(pathToFileURL(entry).href);
  return `
    const { workerData } = require('node:worker_threads');
    import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${url}); }).catch((err) => {
      workerData.port.postMessage({ chunk: -1, error: 'the verify worker did not start: ' + (err && err.message ? err.message : String(err)) });
      Atomics.store(workerData.shared, 1 + workerData.index, 1);
      Atomics.notify(workerData.shared, 1 + workerData.index);
    });`;
}

function startWorker(entry: string, task: Omit<ChunkTask, 'port'>): { worker: Worker; port: Port } {
  const { port1, port2 } = new MessageChannel();
  const workerData: ChunkTask = { ...task, port: port2 };
  const worker = entry.endsWith('.ts')
    ? new Worker(bootstrap(entry), { eval: true, workerData, transferList: [port2] })
    : new Worker(entry, { workerData, transferList: [port2] });
  worker.unref();
  worker.on('error', () => {}); // seen only after the wait; a dead worker's chunks are rescanned here
  return { worker, port: port1 };
}

/**
 * Scans (after, upto] in chunks, here and on workers where that helps; results in chunk order,
 * null for a chunk a worker took but did not finish (the caller scans it itself).
 */
export function scanChunks(path: string, after: number, upto: number, scanHere: (after: number, upto: number) => RangeScan): { ranges: [number, number][]; scans: (RangeScan | null)[] } {
  const threads = threadsFor(path, upto - after);
  if (threads === 1) {
    lastRun = { chunks: 1, threads: 1, byWorkers: 0 };
    return { ranges: [[after, upto]], scans: [scanHere(after, upto)] };
  }
  const ranges = splitRange(after, upto, threads * CHUNKS_PER_THREAD);
  const shared = new Int32Array(new SharedArrayBuffer(4 * threads));
  const entry = workerEntry()!;
  const workers: ({ worker: Worker; port: Port } | null)[] = [];
  for (let w = 0; w < threads - 1; w++) {
    try {
      workers.push(startWorker(entry, { path, chunks: ranges, shared, index: w }));
    } catch {
      workersBroken = true;
      workers.push(null);
      Atomics.store(shared, 1 + w, 1);
    }
  }
  const scans: (RangeScan | null)[] = ranges.map(() => null);
  const t0 = performance.now();
  let mine = 0;
  for (let i = workersOnly ? ranges.length : Atomics.add(shared, 0, 1); i < ranges.length; i = Atomics.add(shared, 0, 1)) {
    scans[i] = scanHere(ranges[i][0], ranges[i][1]);
    mine++;
  }
  // A chunk in a worker's hands takes about as long as one here: allow it ten times that, plus a start-up.
  const deadline = performance.now() + 10 * ((performance.now() - t0) / Math.max(1, mine)) + 5_000;
  let byWorkers = 0;
  workers.forEach((w, index) => {
    if (!w) return;
    if (scans.some((s) => s === null)) {
      while (Atomics.load(shared, 1 + index) === 0) {
        const left = deadline - performance.now();
        if (left <= 0) {
          workersBroken = true;
          break;
        }
        Atomics.wait(shared, 1 + index, 0, Math.min(left, 1000));
      }
    }
    for (let msg = receiveMessageOnPort(w.port); msg; msg = receiveMessageOnPort(w.port)) {
      const reply = msg.message as ChunkReply;
      if ('scan' in reply && scans[reply.chunk] === null) {
        scans[reply.chunk] = reply.scan;
        byWorkers++;
      }
    }
    void w.worker.terminate();
    w.port.close();
  });
  lastRun = { chunks: ranges.length, threads, byWorkers };
  return { ranges, scans };
}
