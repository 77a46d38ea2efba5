/**
 * SHA-256 on a worker thread, so hashing a model (hundreds of MB) overlaps the main thread's work:
 * onnxruntime-node builds sessions synchronously on the main thread and mostly on one core, which
 * leaves the second core of a small machine idle meanwhile.
 * - sharedBytes + sha256OffThread: the bytes a file was read into once, in shared memory, hashed
 *   where they lie (the hash is of exactly the bytes that are then parsed and loaded);
 * - fileSha256OffThread: a file read and hashed by the worker (a cache entry checked while
 *   onnxruntime reads the same file);
 * - readFileOffThread: a file read into shared memory and hashed by the worker (a tower read while
 *   onnxruntime holds the main thread building the other tower's session).
 * Up to two threads do this work, started once (warmHashThreads: as a model starts loading) and kept
 * for later jobs; where no worker can start, the hash is computed on the calling thread.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';

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
const chunk = Buffer.allocUnsafe(4 << 20);
function readInto(fd, view, length) {
  let at = 0;
  while (at < length) {
    const n = readSync(fd, view, at, length - at, at);
    if (n === 0) break;
    at += n;
  }
  return at;
}
function run(job) {
  const h = createHash('sha256');
  if (job.into) {
    const view = new Uint8Array(job.into, 0, job.length);
    const fd = openSync(job.file, 'r');
    let at;
    try {
      at = readInto(fd, view, job.length);
    } finally {
      closeSync(fd);
    }
    parentPort.postMessage({ read: at });
    h.update(view.subarray(0, at));
  } else if (job.file) {
    const fd = openSync(job.file, 'r');
    try {
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, null);
        if (n === 0) break;
        h.update(chunk.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  } else {
    h.update(new Uint8Array(job.buffer, job.offset, job.length));
  }
  return h.digest('hex');
}
parentPort.on('message', (job) => {
  let reply;
  try {
    reply = { sha256: run(job) };
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

type Job = { buffer: SharedArrayBuffer; offset: number; length: number } | { file: string } | { file: string; into: SharedArrayBuffer; length: number };
type Reply = { sha256: string } | { error: string } | { read: number };

interface Pending {
  job: Job;
  onRead?: (bytes: number) => void;
  resolve: (sha256: string) => void;
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

  submit(job: Job, onRead?: (bytes: number) => void): Promise<string> | null {
    if (this.idle.length === 0 && this.busy.size >= this.max) {
      return new Promise((resolve, reject) => this.queue.push({ job, onRead, resolve, reject }));
    }
    const w = this.idle.pop() ?? this.spawn();
    if (!w) return null;
    return new Promise((resolve, reject) => this.start(w, { job, onRead, resolve, reject }));
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
    if ('read' in m) return p.onRead?.(m.read);
    this.busy.delete(w);
    w.unref();
    if ('sha256' in m) p.resolve(m.sha256);
    else p.reject(new Error(m.error));
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

/** SHA-256 (hex) of `bytes`: on a worker thread where they lie in shared memory, else here. */
export function sha256OffThread(bytes: Uint8Array): Promise<string> {
  const shared = bytes.buffer instanceof SharedArrayBuffer ? threads.submit({ buffer: bytes.buffer, offset: bytes.byteOffset, length: bytes.byteLength }) : null;
  return shared ?? Promise.resolve(createHash('sha256').update(bytes).digest('hex'));
}

/** SHA-256 (hex) of a file's contents, read and hashed on a worker thread (here where none starts). */
export function fileSha256OffThread(file: string): Promise<string> {
  return (
    threads.submit({ file }) ??
    (async () => {
      const h = createHash('sha256');
      for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
      return h.digest('hex');
    })()
  );
}

/**
 * The first `length` bytes of a file read into `into` (shared memory) and hashed, both on a worker
 * thread: the read goes on while the main thread is held (onnxruntime building a session). `read`
 * settles with the byte count once the bytes are in; `sha256` once they are hashed. Null where no
 * worker starts.
 */
export function readFileOffThread(file: string, into: Buffer, length: number): { read: Promise<number>; sha256: Promise<string> } | null {
  if (!(into.buffer instanceof SharedArrayBuffer) || into.byteOffset !== 0 || into.byteLength < length) throw new Error('readFileOffThread: give it a buffer from sharedBytes, large enough');
  let settleRead: (n: number) => void = () => undefined;
  const read = new Promise<number>((resolve) => (settleRead = resolve));
  const sha256 = threads.submit({ file, into: into.buffer, length }, (n) => settleRead(n));
  if (!sha256) return null;
  // A thread that fails before reading settles the read through the hash's error.
  return { read: Promise.race([read, sha256.then(() => read)]), sha256 };
}
