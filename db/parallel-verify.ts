/**
 * Parallel fast pass for verify(): the chain is cut into contiguous seq chunks that this
 * thread and worker threads (each with its own read-only connection) take one at a time from
 * a shared counter. A worker runs the source text of fast-scan.ts's functions, so it starts
 * in milliseconds and needs no file of its own beside a bundle. A worker that starts late (or
 * never) simply takes fewer chunks, so this thread never waits on a slow start; it waits at
 * most for the chunks a worker has in hand. verify() is synchronous, so that wait is Atomics.wait on a shared flag
 * and results come in through receiveMessageOnPort. The seams are checked by the caller:
 * each chunk's first prev_hash must be the previous chunk's last hash.
 *
 * Where no worker can run (an in-memory database, no idle core, a worker that fails), this
 * thread scans every chunk itself.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, type CpuInfo } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { canonicalNumberText, scanPages, type RangeScan } from './fast-scan';

type Port = InstanceType<typeof MessageChannel>['port1'];

/** How a chunk is scanned: the fast pass's query and limits (chain.ts). */
export interface ScanSpec {
  sql: string;
  pageRows: number;
  maxRechecks: number;
  /** Name of the SQLite function that prints a number as canonicalFlat does. */
  functionName: string;
}

/** What a worker gets: the file, the chunks, the shared counters. */
interface ChunkTask extends ScanSpec {
  path: string;
  chunks: [number, number][];
  /** [0]: next chunk to take (Atomics.add); [1 + w]: 1 once worker w has finished. */
  shared: Int32Array;
  index: number;
  port: Port;
  /** Where better-sqlite3 is, resolved here (a worker's own require starts from the working directory). */
  sqliteModule: string;
}
export type ChunkReply = { chunk: number; scan: RangeScan } | { chunk: -1; error: string };

/** Below this many events a worker's start-up costs more than it saves. */
const PARALLEL_MIN_EVENTS = 20_000;
const MAX_WORKERS = 7;
/** Chunks per thread: small enough that the last one does not keep the others waiting long. */
const CHUNKS_PER_THREAD = 8;

let sqliteOverride: string | null | undefined;
let minEvents = PARALLEL_MIN_EVENTS;
let forcedThreads: number | null = null;
let workersOnly = false;
let workersBroken = false;
let lastRun = { chunks: 0, threads: 1, byWorkers: 0 };

/**
 * workers: false = never use worker threads. sqliteModule: the better-sqlite3 the workers load
 * (tests give one that cannot load). minEvents/threads: when and how widely to split (tests use
 * small files). workersOnly: this thread takes no chunk and waits for the workers (tests of the
 * workers' part).
 */
export function configureParallelVerify(change: { workers?: boolean; sqliteModule?: string; minEvents?: number; threads?: number | null; workersOnly?: boolean }): void {
  if (change.workers !== undefined) sqliteOverride = change.workers ? undefined : null;
  if (change.sqliteModule !== undefined) sqliteOverride = change.sqliteModule;
  if (change.workersOnly !== undefined) workersOnly = change.workersOnly;
  if (change.minEvents !== undefined) minEvents = change.minEvents;
  if (change.threads !== undefined) forcedThreads = change.threads;
  workersBroken = false;
}

/** How the last scan went: chunks, threads used (this one included), chunks done by workers. */
export function lastParallelScan(): { chunks: number; threads: number; byWorkers: number } {
  return { ...lastRun };
}

/** better-sqlite3's entry as this module resolves it; null where workers are off or it cannot be found. */
function sqliteModule(): string | null {
  if (sqliteOverride !== undefined) return sqliteOverride;
  try {
    return createRequire(import.meta.url).resolve('better-sqlite3');
  } catch {
    return null;
  }
}

/** Cores left idle by everything else, sampled over `ms` while this thread sleeps (os.cpus() works on every platform). */
function idleCores(ms: number): number {
  const total = (c: CpuInfo[]): { idle: number; all: number } =>
    c.reduce((a, x) => ({ idle: a.idle + x.times.idle, all: a.all + x.times.user + x.times.nice + x.times.sys + x.times.idle + x.times.irq }), { idle: 0, all: 0 });
  const before = total(cpus());
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const after = total(cpus());
  const all = after.all - before.all;
  return all > 0 ? ((after.idle - before.idle) / all) * cpus().length : availableParallelism();
}

/**
 * Threads (this one included) worth using for `events` events of the file at `path`: as many
 * as there are idle cores, sampled for 60 ms just before (the load average lags by a minute and
 * counts this process's own recent work, e.g. the writes a bench has just done). On a machine
 * whose cores are busy a worker only adds its start-up to the same CPU time: measured slower
 * than one thread on 2 loaded cores.
 */
function threadsFor(path: string, events: number): number {
  if (workersBroken || events < minEvents || path === '' || path === ':memory:' || !existsSync(path) || !sqliteModule()) return 1;
  if (forcedThreads !== null) return Math.max(1, forcedThreads);
  const cores = availableParallelism();
  return Math.max(1, Math.min(cores, MAX_WORKERS + 1, Math.floor(idleCores(60) + 0.5)));
}

/** (after, upto] cut into `parts` contiguous ranges of nearly equal length. */
export function splitRange(after: number, upto: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  const n = upto - after;
  for (let i = 0; i < parts; i++) out.push([after + Math.floor((n * i) / parts), after + Math.floor((n * (i + 1)) / parts)]);
  return out.filter(([a, b]) => b > a);
}

/**
 * The worker: fast-scan.ts's functions as source text (they use nothing from outside), a
 * connection of its own, chunks from the shared counter. Whatever happens it marks itself
 * finished, so nobody waits on a dead worker. `__name`: esbuild's keep-names helper, should a
 * build wrap the functions' text in it.
 */
const WORKER_SOURCE = `
  const { workerData } = require('node:worker_threads');
  const { hash } = require('node:crypto');
  const __name = (f) => f;
  const scanPages = (${scanPages.toString()});
  const canonicalNumberText = (${canonicalNumberText.toString()});
  const { path, chunks, shared, index, port, sql, pageRows, maxRechecks, functionName, sqliteModule } = workerData;
  try {
    const Database = require(sqliteModule);
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      db.pragma('mmap_size = 4294967296');
      db.function(functionName, { deterministic: true }, canonicalNumberText);
      const sha256 = (data) => hash('sha256', data, 'hex');
      db.transaction(() => {
        for (let i = Atomics.add(shared, 0, 1); i < chunks.length; i = Atomics.add(shared, 0, 1)) {
          port.postMessage({ chunk: i, scan: scanPages(db, chunks[i][0], chunks[i][1], sql, pageRows, maxRechecks, sha256) });
        }
      }).deferred();
    } finally {
      db.close();
    }
  } catch (err) {
    port.postMessage({ chunk: -1, error: String((err && err.message) || err) });
  } finally {
    Atomics.store(shared, 1 + index, 1);
    Atomics.notify(shared, 1 + index);
  }`;

function startWorker(task: Omit<ChunkTask, 'port'>): { worker: Worker; port: Port } {
  const { port1, port2 } = new MessageChannel();
  const workerData: ChunkTask = { ...task, port: port2 };
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData, transferList: [port2] });
  worker.unref();
  worker.on('error', () => {}); // seen only after the wait; a dead worker's chunks are rescanned here
  return { worker, port: port1 };
}

/**
 * Scans (after, upto] in chunks, here and on workers where that helps; results in chunk order,
 * null for a chunk a worker took but did not finish (the caller scans it itself).
 */
export function scanChunks(
  path: string,
  after: number,
  upto: number,
  spec: ScanSpec,
  scanHere: (after: number, upto: number) => RangeScan,
): { ranges: [number, number][]; scans: (RangeScan | null)[] } {
  const threads = threadsFor(path, upto - after);
  if (threads === 1) {
    lastRun = { chunks: 1, threads: 1, byWorkers: 0 };
    return { ranges: [[after, upto]], scans: [scanHere(after, upto)] };
  }
  const ranges = splitRange(after, upto, threads * CHUNKS_PER_THREAD);
  const shared = new Int32Array(new SharedArrayBuffer(4 * threads));
  const sqlite = sqliteModule()!;
  const workers: ({ worker: Worker; port: Port } | null)[] = [];
  for (let w = 0; w < threads - 1; w++) {
    try {
      workers.push(startWorker({ ...spec, path, chunks: ranges, shared, index: w, sqliteModule: sqlite }));
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
