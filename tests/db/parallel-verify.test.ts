/**
 * verify() split over worker threads: the ranges scanned by workers are really checked (a
 * break inside a worker's range or at a seam between ranges is named like in one thread),
 * and an unusable worker entry falls back to one thread with the same answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditStore } from '../../db/audit-store';
import { eventHash, type EventRow } from '../../db/chain';
import { configureParallelVerify, lastParallelScan, splitRange } from '../../db/parallel-verify';
import { inTempDir, makeInput, tempDir, TEST_KEY } from './helpers';

const THREADS = 3;

function withLog(run: (file: string, events: EventRow[]) => void): void {
  inTempDir((dir) => {
    const file = join(dir, 'audit.db');
    const store = AuditStore.open(file, { signingKey: TEST_KEY });
    store.recordFindings(Array.from({ length: 40 }, (_, i) => makeInput({ seed: i + 1, mapSize: 8 })));
    store.signCheckpoint();
    store.recordFindings(Array.from({ length: 19 }, (_, i) => makeInput({ seed: i + 50, mapSize: 8 })));
    const events = store.events();
    store.close();
    run(file, events);
  });
}

function tamper(file: string, sql: string, ...args: unknown[]): void {
  const raw = new Database(file);
  for (const t of raw.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) raw.exec(`DROP TRIGGER ${t.name}`);
  raw.prepare(sql).run(...args);
  raw.close();
}

test('ranges cut the chain without gaps or overlaps', () => {
  assert.deepEqual(splitRange(0, 10, 3), [[0, 3], [3, 6], [6, 10]]);
  assert.deepEqual(splitRange(5, 6, 1), [[5, 6]]);
  assert.deepEqual(splitRange(5, 7, 4), [[5, 6], [6, 7]], 'no empty ranges');
});

test('an intact log verifies with workers doing their ranges; breaks inside a worker range and at a seam are named', () => {
  // This thread takes no chunk: every event is checked by the two workers.
  configureParallelVerify({ minEvents: 10, threads: THREADS, workersOnly: true });
  try {
    withLog((file, events) => {
      const n = events.length;
      assert.equal(n, 61);
      let store = AuditStore.open(file, { readOnly: true });
      const v = store.verify({ full: true });
      assert.equal(v.ok, true, v.reason ?? '');
      assert.equal(v.events, n);
      assert.equal(v.checkpoints, 1);
      const run = lastParallelScan();
      assert.equal(run.threads, THREADS);
      assert.ok(run.chunks >= THREADS);
      assert.equal(run.byWorkers, run.chunks, 'the workers scanned every chunk');
      store.close();

      // A note edited in the last range (a worker's).
      const late = events[n - 3];
      tamper(file, 'UPDATE findings SET note = ? WHERE seq = ?', 'changed', late.seq);
      store = AuditStore.open(file, { readOnly: true });
      const broken = store.verify({ full: true });
      assert.equal(broken.ok, false);
      assert.equal(broken.firstBroken, late.seq);
      assert.equal(broken.reasonCode, 'payload');
      store.close();
    });
    withLog((file, events) => {
      // The last event of the first range rewritten with a recomputed hash: each range is
      // consistent on its own, only the seam shows it.
      const [[, firstUpto]] = splitRange(0, events.length, THREADS * 8);
      const e = events[firstUpto - 1];
      tamper(file, 'UPDATE audit_events SET actor = ?, hash = ? WHERE seq = ?', 'mallory', eventHash({ ...e, actor: 'mallory' }), e.seq);
      const store = AuditStore.open(file, { readOnly: true });
      const v = store.verify({ full: true });
      assert.equal(v.ok, false);
      assert.equal(v.firstBroken, e.seq);
      assert.equal(v.reasonCode, 'edited');
      store.close();
    });
  } finally {
    configureParallelVerify({ workers: true, minEvents: 20_000, threads: null, workersOnly: false });
  }
});

test('a worker that cannot load better-sqlite3: the chunks are scanned in this thread, same answer', () => {
  const { dir, cleanup } = tempDir();
  configureParallelVerify({ minEvents: 10, threads: 2, workersOnly: true, sqliteModule: join(dir, 'no-such-module.js') });
  try {
    withLog((file) => {
      const store = AuditStore.open(file, { readOnly: true });
      const v = store.verify({ full: true });
      assert.equal(v.ok, true, v.reason ?? '');
      assert.equal(lastParallelScan().byWorkers, 0);
      store.close();
    });
  } finally {
    configureParallelVerify({ workers: true, minEvents: 20_000, threads: null, workersOnly: false });
    cleanup();
  }
});
