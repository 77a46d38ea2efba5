import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditError, AuditStore } from '../../db/audit-store';
import { LATEST_VERSION } from '../../db/schema';
import { inTempDir, makeExplanation, makeInput, TEST_KEY } from './helpers';

test('a finding reads back exactly as recorded, NaN metric and Float32 map included', () => {
  inTempDir((dir) => {
    const store = AuditStore.open(join(dir, 'audit.db'));
    const input = makeInput({ seed: 4 });
    const rec = store.recordFinding(input);
    assert.equal(rec.reviewer, 'dr.house');
    assert.equal(rec.decision, input.decision);
    assert.match(rec.eventHash, /^[0-9a-f]{64}$/);
    assert.equal(rec.seq, 2, 'event 1 is the schema creation');
    const back = store.getFinding(rec.findingId);
    assert.deepStrictEqual(back, rec);
    assert.deepStrictEqual(back.explanation, input.explanation);
    assert.ok(Number.isNaN(back.explanation.metrics.undefinedCorr));
    assert.ok(back.explanation.image!.map.values instanceof Float32Array);
    assert.equal(back.note, 'note 4: Ünïcode ≥ ok');
    const v = store.verify();
    assert.equal(v.ok, true, v.reason ?? '');
    assert.equal(v.events, 2);
    assert.deepEqual(v.missingProtections, []);
    store.close();
  });
});

test('identifying fields are stored only when the user allows it', () => {
  inTempDir((dir) => {
    const file = join(dir, 'audit.db');
    const store = AuditStore.open(file);
    const hidden = store.recordFinding(makeInput({ seed: 1, storeIdentifying: false }));
    const shown = store.recordFinding(makeInput({ seed: 2, storeIdentifying: true }));
    assert.equal(store.getFindingContext(hidden.findingId).scan.patientName, null);
    assert.equal(store.getFindingContext(hidden.findingId).scan.fileName, null);
    assert.equal(store.getFindingContext(hidden.findingId).scan.studyUid, '1.2.826.0.1.1');
    assert.equal(store.getFindingContext(shown.findingId).scan.patientName, 'SMITH^JOHN');
    store.close();
    // The withheld finding's name must not be anywhere in the file (nor its WAL).
    const bytes = Buffer.concat([readFileSync(file), existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`) : Buffer.alloc(0)]);
    assert.equal(bytes.includes('patient-smith-1.dcm'), false);
    assert.equal(bytes.includes('patient-smith-2.dcm'), true);
  });
});

test('the database itself refuses UPDATE, DELETE and out-of-chain INSERT; WAL + defensive', () => {
  inTempDir((dir) => {
    const file = join(dir, 'audit.db');
    const store = AuditStore.open(file);
    const rec = store.recordFinding(makeInput());
    const raw = new Database(file);
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    for (const sql of [
      `UPDATE findings SET decision = 'agree' WHERE id = '${rec.findingId}'`,
      `UPDATE audit_events SET actor = 'x' WHERE seq = 1`,
      `DELETE FROM audit_events WHERE seq = ${rec.seq}`,
      `DELETE FROM explanations`,
      `UPDATE scans SET patient_name = 'X'`,
      `DELETE FROM models`,
      `UPDATE chain_head SET seq = 1`,
      `DELETE FROM chain_head`,
    ]) {
      assert.throws(() => raw.exec(sql), /append-only|chain head/, sql);
    }
    assert.throws(
      () => raw.prepare("INSERT INTO audit_events VALUES (99, 't', 'a', 'x', 'y', NULL, NULL, 'p', 'q', 'h')").run(),
      /extend the chain head/,
    );
    // Defensive mode (better-sqlite3's default, kept on): the schema cannot be rewritten in place.
    raw.exec('PRAGMA writable_schema = ON');
    assert.throws(() => raw.exec("UPDATE sqlite_master SET sql = 'x' WHERE name = 'findings_no_update'"), /may not be modified/);
    raw.close();
    assert.equal(store.verify().ok, true);
    store.close();
  });
});

test('bad input gets an AuditError naming the file and the problem', () => {
  inTempDir((dir) => {
    const file = join(dir, 'audit.db');
    const store = AuditStore.open(file);
    assert.throws(() => store.recordFinding({ ...makeInput(), reviewer: '  ' }), (e: unknown) => e instanceof AuditError && e.message.includes(file) && /reviewer/.test(e.message));
    assert.throws(() => store.recordFinding({ ...makeInput(), decision: 'maybe' as never }), /decision 'maybe'/);
    const e = makeExplanation();
    e.image!.map.width = 5;
    assert.throws(() => store.recordFinding({ ...makeInput(), explanation: e }), /map holds 256 values, expected 5×16/);
    assert.throws(() => store.recordFinding({ ...makeInput(), explanation: { ...makeExplanation(), similarity: NaN } }), /similarity is not a finite number/);
    assert.throws(() => store.getFinding('nope'), /no finding with id nope/);
    assert.equal(store.verify().events, 1, 'nothing half-written');
    store.close();

    const notDb = join(dir, 'notes.txt');
    writeFileSync(notDb, 'this is not a database, just some text that is long enough to look like a header '.repeat(20));
    assert.throws(() => AuditStore.open(notDb), (err: unknown) => err instanceof AuditError && err.message.includes(notDb) && /not a database/.test(err.message));
    assert.throws(() => AuditStore.open(join(dir, 'missing', 'a.db')), /folder .* does not exist/);
    assert.throws(() => AuditStore.open(join(dir, 'nope.db'), { readOnly: true }), /does not exist/);

    const newer = join(dir, 'newer.db');
    const raw = new Database(newer);
    raw.pragma(`user_version = ${LATEST_VERSION + 1}`);
    raw.close();
    assert.throws(() => AuditStore.open(newer), /newer Candor/);
  });
});

test('list filters by reviewer, study, method, model, date and text', () => {
  inTempDir((dir) => {
    const store = AuditStore.open(join(dir, 'audit.db'));
    const recs = [
      store.recordFinding(makeInput({ seed: 1, reviewer: 'alice', method: 'nib', study: 'CT-1' })),
      store.recordFinding(makeInput({ seed: 2, reviewer: 'bob', method: 'gradcam', study: 'CT-1' })),
      store.recordFinding(makeInput({ seed: 3, reviewer: 'alice', method: 'rise', study: 'MR-2' })),
    ];
    const all = store.list({});
    assert.deepEqual(all.map((r) => r.seq), [4, 3, 2, 1], 'newest first, system events included');
    assert.equal(all[3].findingId, null);
    assert.deepEqual(store.list({ reviewer: 'alice' }).map((r) => r.findingId), [recs[2].findingId, recs[0].findingId]);
    assert.deepEqual(store.list({ study: 'CT-1' }).map((r) => r.seq), [3, 2]);
    assert.deepEqual(store.list({ study: '1.2.826.0.1.3' }).map((r) => r.seq), [4], 'study UID matches too');
    assert.deepEqual(store.list({ method: 'gradcam' }).map((r) => r.actor), ['bob']);
    assert.equal(store.list({ model: 'mini-clip' }).length, 3);
    assert.equal(store.list({ model: recs[0].explanation.model.sha256.slice(0, 12) }).length, 3);
    assert.equal(store.list({ model: 'other' }).length, 0);
    assert.equal(store.list({ search: 'NOTE 2' }).length, 1);
    assert.equal(store.list({ limit: 2 }).length, 2);
    const row = store.list({ method: 'rise' })[0];
    assert.equal(row.model, 'mini-clip');
    assert.equal(row.decision, recs[2].decision);
    assert.equal(row.similarity, recs[2].explanation.similarity);
    assert.equal(row.eventHash, recs[2].eventHash);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal(store.list({ from: today, to: today }).length, 4);
    assert.equal(store.list({ to: '2000-01-01' }).length, 0);
    assert.equal(store.list({ from: recs[1].time }).length, 2);
    assert.throws(() => store.list({ from: 'yesterday' }), /'yesterday' is not a date/);
    store.close();
  });
});

test('signed checkpoints: signed with the given key (none beside the db), and an exported checkpoint catches a rewritten chain', () => {
  inTempDir((dir) => {
    const file = join(dir, 'audit.db');
    const unsigned = AuditStore.open(file);
    assert.throws(() => unsigned.signCheckpoint(), /no signing key was given/);
    unsigned.close();
    const store = AuditStore.open(file, { signingKey: TEST_KEY });
    store.recordFinding(makeInput({ seed: 1 }));
    const rec = store.recordFinding(makeInput({ seed: 2 }));
    const cp = store.signCheckpoint();
    assert.equal(cp.seq, rec.seq);
    assert.equal(cp.headHash, rec.eventHash);
    assert.deepEqual(readdirSync(dir).filter((f) => !f.startsWith('audit.db')), [], 'no key file beside the database');
    assert.deepEqual(store.checkCheckpoint(cp), { ok: true, reason: null });
    const v = store.verify();
    assert.equal(v.ok, true, v.reason ?? '');
    assert.equal(v.checkpoints, 1);
    assert.equal(store.checkCheckpoint({ ...cp, headHash: 'f'.repeat(64) }).ok, false, 'a forged head fails the signature');
    store.close();

    // An insider rewrites the whole chain consistently (new note, every hash recomputed, triggers dropped).
    const raw = new Database(file);
    raw.unsafeMode(true);
    for (const t of raw.prepare("SELECT name FROM sqlite_master WHERE type='trigger'").all() as { name: string }[]) raw.exec(`DROP TRIGGER ${t.name}`);
    raw.prepare('DELETE FROM audit_events WHERE seq > ?').run(rec.seq);
    raw.close();
    const store2 = AuditStore.open(file);
    const v2 = store2.verify();
    assert.equal(v2.ok, false);
    assert.equal(v2.reasonCode, 'deleted');
    assert.ok(v2.missingProtections.length > 0);
    assert.equal(store2.checkCheckpoint(cp).ok, true, 'the head at seq is still intact');
    store2.close();
  });
});

/** A file with 5 findings, in rollback-journal mode so all of it is in the one file; returns an index's root page offset. */
function fileForDamage(dir: string, index: string): { file: string; start: number; page: number } {
  const file = join(dir, 'audit.db');
  const store = AuditStore.open(file);
  store.recordFindings([1, 2, 3, 4, 5].map((seed) => makeInput({ seed })));
  store.close();
  const raw = new Database(file);
  raw.pragma('journal_mode = DELETE');
  const page = raw.pragma('page_size', { simple: true }) as number;
  const { rootpage } = raw.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(index) as { rootpage: number };
  raw.close();
  return { file, start: (rootpage - 1) * page, page };
}

function patch(file: string, at: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, bytes, 0, bytes.length, at);
  closeSync(fd);
}

test('an index that no longer matches its table: found by checkIntegrity and verify({ integrity: true }), not at open', () => {
  inTempDir((dir) => {
    const { file, start, page } = fileForDamage(dir, 'audit_events_time');
    // Change a time stored in the index only: every page stays well-formed, but the index no longer matches its table.
    const at = readFileSync(file).subarray(start, start + page).indexOf('20');
    assert.ok(at > 0, 'a time value in the index page');
    patch(file, start + at, Buffer.from('19'));
    const store = AuditStore.open(file, { readOnly: true });
    assert.match(store.checkIntegrity().join('\n'), /row \d+ missing from index audit_events_time/);
    assert.equal(store.verify({ full: true }).ok, true, 'the chain itself is intact');
    const v = store.verify({ full: true, integrity: true });
    assert.equal(v.ok, false);
    assert.equal(v.reasonCode, 'corrupt');
    assert.match(v.reason!, /integrity_check.*missing from index audit_events_time/);
    store.close();
  });
});

test('a damaged page is refused at open with what PRAGMA quick_check found', () => {
  inTempDir((dir) => {
    const { file, start } = fileForDamage(dir, 'audit_events_actor');
    // The b-tree page type byte of the index's root page: 0x42 is no valid page type.
    patch(file, start, Buffer.from([0x42]));
    assert.throws(
      () => AuditStore.open(file),
      (e: unknown) => e instanceof AuditError && e.message.includes(file) && /quick_check failed/.test(e.message),
    );
    // A file too large for a whole-file check at every start: the chain tables (audit_events and its indexes) are still checked.
    assert.throws(() => AuditStore.open(file, { quickCheckWholeFileUpTo: 0 }), /quick_check failed/);
  });
});

test('a large file is checked at open in its chain tables only; damage to the explanations is left to checkIntegrity', () => {
  inTempDir((dir) => {
    const { file, start } = fileForDamage(dir, 'explanations_method');
    patch(file, start, Buffer.from([0x42]));
    assert.throws(() => AuditStore.open(file), /quick_check failed/, 'a whole-file check sees it');
    const store = AuditStore.open(file, { readOnly: true, quickCheckWholeFileUpTo: 0 });
    assert.match(store.checkIntegrity().join('\n'), /explanations_method|page|btree|malformed/i);
    store.close();
  });
});

test('verify resumes after the verified prefix within a process, and starts over when another connection wrote', () => {
  inTempDir((dir) => {
    const file = join(dir, 'audit.db');
    const store = AuditStore.open(file, { signingKey: TEST_KEY });
    for (const seed of [1, 2, 3]) store.recordFinding(makeInput({ seed }));
    assert.equal(store.verify().events, 4);
    store.recordFinding(makeInput({ seed: 4 }));
    const resumed = store.verify();
    assert.equal(resumed.ok, true);
    assert.equal(resumed.events, 4 + 1);
    // A checkpoint signs an event inside the verified prefix; the resumed pass still checks it.
    store.signCheckpoint();
    store.recordFinding(makeInput({ seed: 5 }));
    const withCheckpoint = store.verify();
    assert.equal(withCheckpoint.ok, true, withCheckpoint.reason ?? '');
    assert.equal(withCheckpoint.checkpoints, 1);
    assert.equal(withCheckpoint.events, 7);
    // Someone edits an old finding from outside; the next verify must look at everything again.
    const raw = new Database(file);
    raw.exec('DROP TRIGGER findings_no_update');
    raw.exec("UPDATE findings SET note = 'changed' WHERE seq = 2");
    raw.close();
    const v = store.verify();
    assert.equal(v.ok, false);
    assert.equal(v.firstBroken, 2);
    assert.equal(v.reasonCode, 'payload');
    assert.equal(store.verify({ full: true }).firstBroken, 2);
    store.close();
  });
});
