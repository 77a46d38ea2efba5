/**
 * Worker thread entry for parallel verification (parallel-verify.ts): takes chunks of the
 * chain from the shared counter, scans each on its own read-only connection and posts the
 * result, then marks itself finished for the thread sleeping in verify().
 */
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { scanRange } from './chain';
import type { ChunkReply, ChunkTask } from './parallel-verify';

const { path, chunks, shared, index, port } = workerData as ChunkTask;
try {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma(`mmap_size = ${2 ** 32}`);
    db.transaction(() => {
      for (let i = Atomics.add(shared, 0, 1); i < chunks.length; i = Atomics.add(shared, 0, 1)) {
        const reply: ChunkReply = { chunk: i, scan: scanRange(db, chunks[i][0], chunks[i][1]) };
        port.postMessage(reply);
      }
    }).deferred();
  } finally {
    db.close();
  }
} catch (err) {
  const reply: ChunkReply = { chunk: -1, error: err instanceof Error ? err.message : String(err) };
  port.postMessage(reply);
} finally {
  Atomics.store(shared, 1 + index, 1);
  Atomics.notify(shared, 1 + index);
}
