/**
 * The fast pass of verify (SQLite writes the hashed headers) against the exact JavaScript
 * canonical form: text that needs JSON escaping hashes the same without any recheck, a value
 * SQLite prints another way is rechecked and accepted, and on such files verify still agrees
 * with the walk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditStore } from '../../db/audit-store';
import { canonicalFlat, GENESIS_HASH } from '../../db/canonical';
import { canonicalNumberText } from '../../db/fast-scan';
import { eventHash, fastVerify, scanRange, verifyChain, type EventRow } from '../../db/chain';
import { payloadHashOf, STORED_FINDING_SQL, type StoredFinding } from '../../db/finding-codec';
import { inTempDir, makeInput, TEST_KEY } from './helpers';

const AWKWARD = ['dr. "O\'Neil"\t\\ \u0001\u001f\u007f', 'Zoë ≥ 😀 \u2028\u2029 \r\n', '</script>\b\f', 'plain'];

test('text needing JSON escapes: the fast pass hashes it right first time', () => {
  inTempDir((dir) => {
    const file = join(dir, 'audit.db');
    const store = AuditStore.open(file);
    for (const [i, s] of AWKWARD.entries()) {
      const input = makeInput({ seed: i + 1, reviewer: s, study: `${s} study` });
      store.recordFinding({ ...input, note: `${s}\nsecond line`, scan: { ...input.scan, studyUid: s, patientName: s }, storeIdentifying: true });
    }
    const v = store.verify({ full: true });
    assert.equal(v.ok, true, v.reason ?? '');
    store.close();
    const db = new Database(file, { readonly: true });
    const scan = scanRange(db, 0, AWKWARD.length + 1);
    db.close();
    assert.equal(scan.clean, true);
    assert.equal(scan.events, AWKWARD.length + 1);
    assert.equal(scan.findings, AWKWARD.length);
    assert.equal(scan.rechecks, 0, 'SQLite json_array and JSON.stringify agree on every escape');
    assert.equal(scan.firstPrev, GENESIS_HASH);
  });
});

test('a value SQLite prints another way (a REAL 2/3) is rechecked exactly and accepted; an edit of it is not', () => {
  inTempDir((dir) => {
    const file = join(dir, 'audit.db');
    const store = AuditStore.open(file);
    const rec = store.recordFinding(makeInput({ seed: 1 }));
    store.close();
    // Rewrite the (last) finding so that store_identifying holds the number 2/3, hashes and head
    // recomputed: SQLite prints 0.66666666666666663 where JavaScript prints 0.6666666666666666.
    const db = new Database(file);
    for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) db.exec(`DROP TRIGGER ${t.name}`);
    const rewrite = (value: number, rehash: boolean) => {
      db.prepare('UPDATE findings SET store_identifying = ? WHERE id = ?').run(value, rec.findingId);
      if (!rehash) return;
      const stored = db.prepare(`${STORED_FINDING_SQL} WHERE f.id = ?`).get(rec.findingId) as StoredFinding;
      const e = db.prepare('SELECT * FROM audit_events WHERE seq = ?').get(rec.seq) as EventRow;
      const payloadHash = payloadHashOf(stored);
      const hash = eventHash({ ...e, payload_hash: payloadHash });
      db.prepare('UPDATE audit_events SET payload_hash = ?, hash = ? WHERE seq = ?').run(payloadHash, hash, rec.seq);
      db.prepare('UPDATE chain_head SET hash = ?').run(hash);
    };
    rewrite(2 / 3, true);
    assert.equal(typeof (db.prepare('SELECT store_identifying FROM findings').pluck().get() as number), 'number');
    const scan = scanRange(db, 0, rec.seq);
    assert.equal(scan.clean, true);
    assert.equal(scan.rechecks, 1);
    assert.equal(verifyChain(db).ok, true);

    rewrite(2 / 3 + 1e-12, false);
    assert.equal(scanRange(db, 0, rec.seq).clean, false);
    const v = verifyChain(db);
    assert.equal(v.ok, false);
    assert.equal(v.firstBroken, rec.seq);
    assert.equal(v.reasonCode, 'payload');
    db.close();
  });
});

test('the similarity printer the workers use gives canonicalFlat\'s text for every kind of value', () => {
  const values = [0, -0, 1, -1, 2 / 3, 0.1, 1e21, 1e-7, 5e-324, -1.7976931348623157e308, NaN, Infinity, -Infinity, null, 'text "quoted"\n', 'Zoë 😀'];
  for (const v of values) assert.equal(canonicalNumberText(v), canonicalFlat([v as number]).slice(1, -1), String(v));
});

test('an intact chain with a checkpoint is settled by the fast pass alone (in this thread and with workers, from the start or a prefix); a broken one never is', () => {
  inTempDir((dir) => {
    const file = join(dir, 'audit.db');
    const store = AuditStore.open(file, { signingKey: TEST_KEY });
    for (const seed of [1, 2, 3]) store.recordFinding(makeInput({ seed }));
    store.signCheckpoint();
    for (const seed of [4, 5]) store.recordFinding(makeInput({ seed }));
    const events = store.events();
    store.close();
    const n = events.length;
    const cp = events.find((e) => e.action === 'checkpoint.sign')!.seq;
    const db = new Database(file);
    const whole = { ok: true, events: n, verifiedHead: { seq: n, hash: events[n - 1].hash }, firstBroken: null, reason: null, missingProtections: ['m'], checkpoints: 1 };
    assert.deepEqual(fastVerify(db, null, ['m'], false), whole);
    assert.deepEqual(fastVerify(db, null, ['m'], true), whole);
    assert.deepEqual(fastVerify(db, { seq: 2, hash: events[1].hash, checkpoints: 0 }, ['m'], false), whole);
    assert.deepEqual(fastVerify(db, { seq: cp, hash: events[cp - 1].hash, checkpoints: 1 }, ['m'], true), whole);
    assert.equal(fastVerify(db, { seq: 2, hash: events[0].hash, checkpoints: 0 }, [], false), null, 'a prefix that does not link');
    // verify maps the file for its one long pass and gives the connection its own setting back.
    db.pragma('mmap_size = 65536');
    assert.deepEqual({ ...verifyChain(db), missingProtections: ['m'] }, whole);
    assert.equal(db.pragma('mmap_size', { simple: true }), 65536);
    for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) db.exec(`DROP TRIGGER ${t.name}`);
    db.pragma('foreign_keys = OFF');
    const broken = (label: string, sql: string) => {
      db.exec('SAVEPOINT t');
      db.exec(sql);
      assert.equal(fastVerify(db, null, [], false), null, label);
      assert.equal(verifyChain(db).ok, false, label);
      db.exec('ROLLBACK TO t');
      db.exec('RELEASE t');
    };
    broken('head moved on', 'UPDATE chain_head SET seq = seq + 1');
    broken('first event gone', 'DELETE FROM audit_events WHERE seq = 1');
    broken('event before the start', `INSERT INTO audit_events SELECT 0, time, actor, action, entity_type, entity_id, payload, payload_hash, prev_hash, hash FROM audit_events WHERE seq = 1`);
    broken('a finding without its event', `INSERT INTO findings SELECT 'extra', ${n + 3}, explanation_row, time, reviewer, decision, note, study_label, app_version, store_identifying FROM findings LIMIT 1`);
    broken('a finding moved to a system event', `UPDATE findings SET seq = ${cp} WHERE seq = ${cp + 1}`);
    broken('checkpoint signature', `UPDATE audit_events SET payload = replace(payload, '"signature":"', '"signature":"AA') WHERE seq = ${cp}`);
    db.close();
  });
});
