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
 * Where no worker can start, the hash is computed on the calling thread.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';

// Evaluated as a CommonJS script, so the esbuild bundle of the CLI needs no separate worker file.
const WORKER_SOURCE = `
const { createHash } = require('node:crypto');
const { closeSync, createReadStream, openSync, readSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const h = createHash('sha256');
  if (workerData.into) {
    const view = new Uint8Array(workerData.into, 0, workerData.length);
    const fd = openSync(workerData.file, 'r');
    let at = 0;
    try {
      while (at < workerData.length) {
        const n = readSync(fd, view, at, workerData.length - at, at);
        if (n === 0) break;
        at += n;
      }
    } finally {
      closeSync(fd);
    }
    parentPort.postMessage({ read: at });
    h.update(view.subarray(0, at));
  } else if (workerData.file) {
    for await (const chunk of createReadStream(workerData.file, { highWaterMark: 4 << 20 })) h.update(chunk);
  } else {
    h.update(new Uint8Array(workerData.buffer, workerData.offset, workerData.length));
  }
  parentPort.postMessage(h.digest('hex'));
})().catch((e) => parentPort.postMessage({ error: String(e && e.message || e) }));
`;

type Job = { buffer: SharedArrayBuffer; offset: number; length: number } | { file: string } | { file: string; into: SharedArrayBuffer; length: number };
type Reply = string | { error: string } | { read: number };

function inWorker(job: Job, onRead?: (bytes: number) => void): Promise<string> | null {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: job });
  } catch {
    return null;
  }
  // Settled once the thread has exited: until then its isolate may still hold the shared bytes.
  return new Promise((resolve, reject) => {
    let result: string | { error: string } = { error: 'the hashing thread stopped without a result' };
    worker.on('message', (m: Reply) => {
      if (typeof m === 'object' && 'read' in m) return onRead?.(m.read);
      result = m;
      void worker.terminate();
    });
    worker.once('error', (e) => (result = { error: e.message }));
    worker.once('exit', () => (typeof result === 'string' ? resolve(result) : reject(new Error(result.error))));
  });
}

/** A buffer of `size` bytes in memory a worker thread can read without a copy. */
export function sharedBytes(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

/** SHA-256 (hex) of `bytes`: on a worker thread where they lie in shared memory, else here. */
export function sha256OffThread(bytes: Uint8Array): Promise<string> {
  const shared = bytes.buffer instanceof SharedArrayBuffer ? inWorker({ buffer: bytes.buffer, offset: bytes.byteOffset, length: bytes.byteLength }) : null;
  return shared ?? Promise.resolve(createHash('sha256').update(bytes).digest('hex'));
}

/** SHA-256 (hex) of a file's contents, read and hashed on a worker thread (here where none starts). */
export function fileSha256OffThread(file: string): Promise<string> {
  return (
    inWorker({ file }) ??
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
  const sha256 = inWorker({ file, into: into.buffer, length }, (n) => settleRead(n));
  if (!sha256) return null;
  // A thread that fails before reading settles the read through the hash's error.
  return { read: Promise.race([read, sha256.then(() => read)]), sha256 };
}
