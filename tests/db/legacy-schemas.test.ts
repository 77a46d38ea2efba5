/**
 * Audit files of schema versions 1, 2 and 3 written by the code of that time (the last commit
 * whose schema was 3, exported from git by fixtures/make-legacy-fixtures.mjs, which regenerates
 * them), with what that code returned for each finding. Each opens, migrates with an event, verifies, and
 * gives back exactly what was recorded. A migration stopped between its steps, or killed in the
 * middle of one, loses nothing and completes on the next open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { AuditStore } from '../../db/audit-store';
import { LATEST_VERSION, migrate, schemaVersion } from '../../db/schema';
import type { RecordedFinding } from '../../db/types';
import { inTempDir, makeInput, tempDir } from './helpers';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

interface Legacy {
  version: number;
  recorded: RecordedFinding[];
}

function readLegacy(version: number): Legacy {
  return JSON.parse(readFileSync(join(FIXTURES, `schema${version}.json`), 'utf8'), (_k, v: unknown) => {
    if (v && typeof v === 'object' && '$float32' in v) return Float32Array.from((v as { $float32: number[] }).$float32);
    if (v && typeof v === 'object' && '$number' in v) return Number((v as { $number: string }).$number);
    return v;
  }) as Legacy;
}

function rawInfo(file: string): { version: number; events: number; lastAction: string } {
  const db = new Database(file, { readonly: true });
  try {
    const last = db.prepare('SELECT action FROM audit_events ORDER BY seq DESC LIMIT 1').get() as { action: string };
    return { version: schemaVersion(db), events: (db.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number }).n, lastAction: last.action };
  } finally {
    db.close();
  }
}

/** Opens the copied file with today's store and checks it against what the old code recorded. */
function checkMigrated(file: string, legacy: Legacy, eventsBefore: number, from: number): void {
  const store = AuditStore.open(file);
  try {
    const v = store.verify({ full: true });
    assert.equal(v.ok, true, `schema ${legacy.version}: ${v.reason}`);
    assert.deepEqual(v.missingProtections, []);
    assert.equal(v.events, eventsBefore + 1, 'the old events and one migration event');
    const migration = store.list({ limit: 1 })[0]!;
    assert.equal(migration.action, 'schema.migrate');
    for (const rec of legacy.recorded) assert.deepStrictEqual(store.getFinding(rec.findingId), rec, `finding ${rec.seq} as the old code recorded it`);
    const added = store.recordFinding(makeInput({ seed: 9 }));
    assert.equal(added.seq, eventsBefore + 2);
    assert.deepStrictEqual(store.getFinding(added.findingId), added);
    assert.equal(store.verify({ full: true }).ok, true);
  } finally {
    store.close();
  }
  const after = new Database(file, { readonly: true });
  const payload = JSON.parse((after.prepare("SELECT payload FROM audit_events WHERE action = 'schema.migrate' ORDER BY seq DESC LIMIT 1").get() as { payload: string }).payload) as unknown;
  assert.equal(schemaVersion(after), LATEST_VERSION);
  after.close();
  assert.deepEqual(payload, { from, to: LATEST_VERSION });
}

for (const version of [1, 2, 3]) {
  test(`a schema-${version} file written by the schema-${version} code migrates, verifies and reads back what it recorded`, () => {
    const legacy = readLegacy(version);
    assert.equal(legacy.version, version);
    inTempDir((dir) => {
      const file = join(dir, 'old.db');
      copyFileSync(join(FIXTURES, `schema${version}.db`), file);
      const before = rawInfo(file);
      assert.equal(before.version, version, 'the fixture is at its own version');
      assert.equal(before.events, legacy.recorded.length + (version === 3 ? 1 : 0), 'its findings (and, made by the store, its creation)');
      checkMigrated(file, legacy, before.events, version);
    });
  });
}

test('an empty file (schema 0) becomes a store with only the migration event', () => {
  inTempDir((dir) => {
    const file = join(dir, 'empty.db');
    new Database(file).close();
    const store = AuditStore.open(file);
    const v = store.verify();
    assert.deepEqual([v.ok, v.events], [true, 1]);
    store.close();
  });
});

test('a migration stopped between its steps completes on the next open, nothing lost', () => {
  const legacy = readLegacy(1);
  inTempDir((dir) => {
    const file = join(dir, 'old.db');
    copyFileSync(join(FIXTURES, 'schema1.db'), file);
    // Each version is its own step: a file can be left at any whole version between.
    const db = new Database(file);
    migrate(db, 3);
    db.close();
    const before = rawInfo(file);
    assert.deepEqual([before.version, before.events], [3, legacy.recorded.length]);
    checkMigrated(file, legacy, before.events, 3);
  });
});

function killDuringMigration(file: string, stopAt: string): Promise<string> {
  const child = fileURLToPath(new URL('./migrate-child.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), child, file, stopAt], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('migrating\n')) p.kill('SIGKILL');
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(out) : reject(new Error(`the migrating process was not killed: ${out}${err}`))));
  });
}

test('a migration killed inside a step (SIGKILL mid-transaction) is rolled back whole and completes on the next open', async () => {
  const legacy = readLegacy(1);
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'old.db');
    copyFileSync(join(FIXTURES, 'schema1.db'), file);
    // Killed in the middle of step 3 (after steps 2's chain head and part of 3 ran in the transaction).
    const out = await killDuringMigration(file, 'CREATE INDEX audit_events_actor');
    assert.equal(out, 'migrating\n', 'killed before the migration finished');
    const before = rawInfo(file);
    assert.deepEqual([before.version, before.events], [1, legacy.recorded.length], 'the file is as the old code left it');
    checkMigrated(file, legacy, before.events, 1);
  } finally {
    cleanup();
  }
});
