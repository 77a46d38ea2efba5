/**
 * Worker thread entry for parallel verification (parallel-verify.ts): scans one range of the
 * chain on its own read-only connection and reports back through a port, then raises a flag
 * the waiting thread sleeps on (the caller of verify() is synchronous).
 */
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { scanRange } from './chain';
import type { RangeReply, RangeTask } from './parallel-verify';

const { path, after, upto, port, done } = workerData as RangeTask & { port: MessagePort; done: Int32Array };
let reply: RangeReply;
try {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma(`mmap_size = ${2 ** 32}`);
    reply = { ok: true, scan: db.transaction(() => scanRange(db, after, upto)).deferred() };
  } finally {
    db.close();
  }
} catch (err) {
  reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
}
port.postMessage(reply);
Atomics.store(done, 0, 1);
Atomics.notify(done, 0);
