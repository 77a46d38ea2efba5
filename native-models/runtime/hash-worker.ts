/**
 * SHA-256 on a worker thread, so hashing a model (hundreds of MB) overlaps the main thread's work:
 * onnxruntime-node builds sessions synchronously on the main thread and mostly on one core, which
 * leaves the second core of a small machine idle meanwhile.
 * - sharedBytes + sha256OffThread: the bytes a file was read into once, in shared memory, hashed
 *   where they lie (the hash is of exactly the bytes that are then parsed and loaded);
 * - fileSha256OffThread: a file read and hashed by the worker (a cache entry checked while
 *   onnxruntime reads the same file);
 * - hashWhileFilling: shared bytes hashed while the caller is still reading them in, piece by piece
 *   (a tower read on the main thread: its hash is ready soon after its last byte);
 * - readFileOffThread: a file read into shared memory by one thread and hashed as it comes in by the
 *   other (a tower read while onnxruntime holds the main thread building the other tower's session).
 * Up to two threads do this work, started once (warmHashThreads: as a model starts loading) and kept
 * for later jobs; where no worker can start, the hash is computed on the calling thread.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** A piece that stays in a core's cache between its copy (or read) and its hash. */
const STAGE_BYTES = 256 << 10;

// Evaluated as a CommonJS script, so the esbuild bundle of the CLI needs no separate worker file.
// A thread takes one job at a time and stays for the next. Before it answers, it lets go of the job
// and collects its garbage: the caller may count on the shared bytes being free once the hash is
// back (a tower's 352 MB must not stay held while onnxruntime builds the next session).
const WORKER_SOURCE = `
const { createHash } = require('node:crypto');
const { closeSync, openSync, readSync } = require('node:fs');
const { parentPort } = require('node:worker_threads');
let collect = null;
try {
  require('node:v8').setFlagsFromString('--expose-gc');
  collect = require('node:vm').runInNewContext('gc');
} catch {}
// SHA-256 runs a third faster over bytes in the core's own cache (1.45 against 1.09 GB/s on a
// 2-core Xeon, SHA-NI): a file is read, and shared bytes are copied, a cache-sized piece at a time.
const stage = Buffer.allocUnsafe(${STAGE_BYTES});
function update(h, view) {
  for (let at = 0; at < view.length; at += stage.length) {
    const n = Math.min(stage.length, view.length - at);
    stage.set(view.subarray(at, at + n));
    h.update(stage.subarray(0, n));
  }
}
// A filling: ctrl[0] the bytes in so far, ctrl[1] the final length once all are in (-1 before,
// -2 where the filling failed), ctrl[2] a count of changes. The filler stores a value, then counts
// and notifies; the follower reads the count before the values and waits on it, so a change made
// after its look wakes it at once.
function publish(ctrl, index, value) {
  Atomics.store(ctrl, index, BigInt(value));
  Atomics.add(ctrl, 2, 1n);
  Atomics.notify(ctrl, 2);
}
function fill(job) {
  const view = new Uint8Array(job.into, 0, job.length);
  const ctrl = new BigInt64Array(job.ctrl);
  let at = 0;
  try {
    const fd = openSync(job.fill, 'r');
    try {
      while (at < job.length) {
        const n = readSync(fd, view, at, Math.min(job.length - at, 8 << 20), at);
        if (n === 0) break;
        at += n;
        publish(ctrl, 0, at);
      }
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    publish(ctrl, 1, -2);
    throw e;
  }
  publish(ctrl, 1, at);
  return { read: at };
}
function follow(job, h) {
  const ctrl = new BigInt64Array(job.ctrl);
  let done = 0;
  for (;;) {
    const seen = Atomics.load(ctrl, 2);
    const end = Number(Atomics.load(ctrl, 1));
    if (end === -2) throw new Error('the file could not be read whole');
    const upTo = end >= 0 ? end : Number(Atomics.load(ctrl, 0));
    if (upTo > done) {
      update(h, new Uint8Array(job.follow, done, upTo - done));
      done = upTo;
    } else if (end >= 0) {
      return;
    } else {
      Atomics.wait(ctrl, 2, seen);
    }
  }
}
function run(job) {
  if (job.fill) return fill(job);
  const h = createHash('sha256');
  if (job.follow) {
    follow(job, h);
  } else if (job.file) {
    const fd = openSync(job.file, 'r');
    try {
      for (;;) {
        const n = readSync(fd, stage, 0, stage.length, null);
        if (n === 0) break;
        h.update(stage.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  } else {
    update(h, new Uint8Array(job.buffer, job.offset, job.length));
  }
  return { sha256: h.digest('hex') };
}
parentPort.on('message', (job) => {
  let reply;
  try {
    reply = run(job);
  } catch (e) {
    reply = { error: String((e && e.message) || e) };
  }
  // Collected once this handler has returned: until then its caller still holds the job.
  setImmediate(() => {
    collect?.();
    parentPort.postMessage(reply);
  });
});
`;

/** Hash bytes, hash a file, read a file into shared bytes (a filling), or hash a filling as it goes. */
type Job =
  | { buffer: SharedArrayBuffer; offset: number; length: number }
  | { file: string }
  | { fill: string; into: SharedArrayBuffer; length: number; ctrl: SharedArrayBuffer }
  | { follow: SharedArrayBuffer; ctrl: SharedArrayBuffer };
type Done = { sha256: string } | { read: number };
type Reply = Done | { error: string };

interface Pending {
  job: Job;
  resolve: (done: Done) => void;
  reject: (e: Error) => void;
}

/**
 * Up to two hashing threads, started once and kept (unreferenced while idle, so they never keep a
 * process alive): starting a thread costs about 30 ms, and a model's load and first explanation
 * wait on four or more hashes (each tower, each cached graph's files).
 */
class HashThreads {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private broken = false;

  constructor(private readonly max: number) {}

  /** Starts the threads ahead of the first jobs (as many as can start). */
  warm(): void {
    while (this.idle.length + this.busy.size < this.max) {
      const w = this.spawn();
      if (!w) return;
      this.idle.push(w);
    }
  }

  /** Jobs run in the order given: a filling is submitted before its follower, which waits on it. */
  submit(job: Job): Promise<Done> | null {
    if (this.idle.length === 0 && this.busy.size >= this.max) {
      return new Promise((resolve, reject) => this.queue.push({ job, resolve, reject }));
    }
    const w = this.idle.pop() ?? this.spawn();
    if (!w) return null;
    return new Promise((resolve, reject) => this.start(w, { job, resolve, reject }));
  }

  private spawn(): Worker | null {
    if (this.broken) return null;
    let w: Worker;
    try {
      // None of this process's flags: under --input-type=module the source would be read as a module.
      w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    } catch {
      this.broken = true;
      return null;
    }
    w.on('message', (m: Reply) => this.answer(w, m));
    w.once('error', (e) => this.lose(w, e));
    w.once('exit', (code) => this.lose(w, new Error(`the hashing thread stopped (exit code ${code})`)));
    // After the listeners: adding a message listener holds the process again.
    w.unref();
    return w;
  }

  private start(w: Worker, p: Pending): void {
    this.busy.set(w, p);
    w.ref();
    w.postMessage(p.job);
  }

  private answer(w: Worker, m: Reply): void {
    const p = this.busy.get(w);
    if (!p) return;
    this.busy.delete(w);
    w.unref();
    if ('error' in m) p.reject(new Error(m.error));
    else p.resolve(m);
    const next = this.queue.shift();
    if (next) this.start(w, next);
    else this.idle.push(w);
  }

  /** A thread that failed or stopped: its job fails, and a queued one gets a new thread (or fails, where none starts). */
  private lose(w: Worker, e: Error): void {
    const i = this.idle.indexOf(w);
    // A thread that failed also exits: the second report finds it gone.
    if (i < 0 && !this.busy.has(w)) return;
    if (i >= 0) this.idle.splice(i, 1);
    const p = this.busy.get(w);
    this.busy.delete(w);
    p?.reject(e);
    // A filling that stopped with its thread fails its follower, which would otherwise wait for ever.
    if (p && 'fill' in p.job) failFilling(p.job.ctrl);
    const next = this.queue.shift();
    if (!next) return;
    const fresh = this.spawn();
    if (fresh) this.start(fresh, next);
    else next.reject(new Error('no hashing thread could start'));
  }
}

const threads = new HashThreads(2);

/** Starts the hashing threads now, where hashes will soon be asked for (a model about to be read). */
export function warmHashThreads(): void {
  threads.warm();
}

/** A buffer of `size` bytes in memory a worker thread can read without a copy. */
export function sharedBytes(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

function hashOf(done: Done): string {
  if (!('sha256' in done)) throw new Error('the hashing thread answered a hash job with no hash');
  return done.sha256;
}

/** SHA-256 (hex) of `bytes`: on a worker thread where they lie in shared memory, else here. */
export function sha256OffThread(bytes: Uint8Array): Promise<string> {
  const shared = bytes.buffer instanceof SharedArrayBuffer ? threads.submit({ buffer: bytes.buffer, offset: bytes.byteOffset, length: bytes.byteLength }) : null;
  return shared?.then(hashOf) ?? Promise.resolve(createHash('sha256').update(bytes).digest('hex'));
}

/** SHA-256 (hex) of a file's contents, read and hashed on a worker thread (here where none starts). */
export function fileSha256OffThread(file: string): Promise<string> {
  return (
    threads.submit({ file })?.then(hashOf) ??
    (async () => {
      const h = createHash('sha256');
      for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
      return h.digest('hex');
    })()
  );
}

/** A filling's shared state, as the worker source above reads and writes it. */
function fillingControl(): BigInt64Array {
  const ctrl = new BigInt64Array(new SharedArrayBuffer(3 * 8));
  ctrl[1] = -1n;
  return ctrl;
}

function publish(ctrl: BigInt64Array, index: 0 | 1, value: number): void {
  Atomics.store(ctrl, index, BigInt(value));
  Atomics.add(ctrl, 2, 1n);
  Atomics.notify(ctrl, 2);
}

function failFilling(ctrl: SharedArrayBuffer): void {
  publish(new BigInt64Array(ctrl), 1, -2);
}

/** Bytes being filled in order, and their hash, computed as they come in. */
export interface Filling {
  /** The first `bytes` bytes are in. */
  filled(bytes: number): void;
  /** All are in: the first `bytes` bytes are the whole. */
  end(bytes: number): void;
  /** The filling stopped: the hash fails. */
  fail(): void;
  sha256: Promise<string>;
}

/**
 * SHA-256 of shared bytes (sharedBytes) computed on a worker thread while the caller fills them in
 * order: the hash of a file read here is ready soon after its last byte (ViT-B/32's vision tower:
 * 0.2 s that the load waited after reading it, measured). Where no worker starts, it is computed
 * here at end().
 */
export function hashWhileFilling(bytes: Buffer): Filling {
  if (!(bytes.buffer instanceof SharedArrayBuffer) || bytes.byteOffset !== 0) throw new Error('hashWhileFilling: give it a buffer from sharedBytes');
  const ctrl = fillingControl();
  const job = threads.submit({ follow: bytes.buffer, ctrl: ctrl.buffer as SharedArrayBuffer });
  if (job) return { filled: (n) => publish(ctrl, 0, n), end: (n) => publish(ctrl, 1, n), fail: () => failFilling(ctrl.buffer as SharedArrayBuffer), sha256: job.then(hashOf) };
  let settle: { resolve: (sha256: string) => void; reject: (e: Error) => void } = { resolve: () => undefined, reject: () => undefined };
  const sha256 = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  return {
    filled: () => undefined,
    end: (n) => settle.resolve(createHash('sha256').update(bytes.subarray(0, n)).digest('hex')),
    fail: () => settle.reject(new Error('the file could not be read whole')),
    sha256,
  };
}

/**
 * The first `length` bytes of a file read into `into` (shared memory) on one worker thread and
 * hashed as they come in on the other: the read goes on while the main thread is held (onnxruntime
 * building a session). `read` settles with the byte count once the bytes are in; `sha256` once they
 * are hashed. Null where no worker starts.
 */
export function readFileOffThread(file: string, into: Buffer, length: number): { read: Promise<number>; sha256: Promise<string> } | null {
  if (!(into.buffer instanceof SharedArrayBuffer) || into.byteOffset !== 0 || into.byteLength < length) throw new Error('readFileOffThread: give it a buffer from sharedBytes, large enough');
  const ctrl = fillingControl();
  const filling = threads.submit({ fill: file, into: into.buffer, length, ctrl: ctrl.buffer as SharedArrayBuffer });
  if (!filling) return null;
  const read = filling.then((done) => {
    if (!('read' in done)) throw new Error('the reading thread answered with no byte count');
    return done.read;
  });
  const followed = threads.submit({ follow: into.buffer, ctrl: ctrl.buffer as SharedArrayBuffer });
  // Where the second thread cannot start, the hash follows the read on this thread.
  // A failed read fails the hash with the read's own error.
  const sha256 = followed?.then(hashOf, async (e: unknown) => {
    await read;
    throw e;
  }) ?? read.then((n) => createHash('sha256').update(into.subarray(0, n)).digest('hex'));
  return { read, sha256 };
}
