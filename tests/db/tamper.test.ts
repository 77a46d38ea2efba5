/**
 * Tampering through raw SQL on a copy of the database (triggers dropped first): every
 * single-row edit, deletion, insertion and swap of two events must be caught by verify,
 * at the right sequence number and with the right reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditStore } from '../../db/audit-store';
import type { RecordedFinding } from '../../electron/api/contract';
import { eventHash, verifyChain, type EventRow, type VerifyResult } from '../../db/chain';
import { canonicalJson, GENESIS_HASH, sha256Hex } from '../../db/canonical';
import { payloadHashOf, STORED_FINDING_SQL, type StoredFinding } from '../../db/finding-codec';
import { signHead, type Checkpoint } from '../../db/signing';
import { inTempDir, makeInput, TEST_KEY } from './helpers';

interface Base {
  image: Buffer;
  events: EventRow[];
  findings: { id: string; seq: number }[];
  checkpointSeq: number;
  checkpoint: Checkpoint;
}

/** migrate(1) + 4 findings + checkpoint + 2 findings (one shares an explanation) = 8 events. */
function buildBase(): Base {
  return inTempDir((dir) => {
    const store = AuditStore.open(join(dir, 'audit.db'), { signingKey: TEST_KEY });
    const findings: RecordedFinding[] = [];
    for (const seed of [1, 2, 3, 4]) findings.push(store.recordFinding(makeInput({ seed, storeIdentifying: seed === 2 })));
    const checkpoint = store.signCheckpoint();
    const shared = makeInput({ seed: 4, reviewer: 'second.reader' });
    findings.push(store.recordFinding(shared), store.recordFinding(makeInput({ seed: 6 })));
    const events = store.events();
    store.close();
    const raw = new Database(join(dir, 'audit.db'), { readonly: true });
    const image = raw.serialize();
    raw.close();
    // In-memory images cannot be in WAL mode: mark the header as a rollback-journal file.
    image[18] = 1;
    image[19] = 1;
    return { image, events, findings: findings.map((f) => ({ id: f.findingId, seq: f.seq })), checkpointSeq: events.find((e) => e.action === 'checkpoint.sign')!.seq, checkpoint };
  });
}

const base = buildBase();
const N = base.events.length;

function tamper(mutate: (db: Database.Database) => void): VerifyResult {
  const db = new Database(base.image);
  db.pragma('foreign_keys = OFF');
  for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) db.exec(`DROP TRIGGER ${t.name}`);
  db.pragma('foreign_keys = OFF');
  mutate(db);
  const v = verifyChain(db);
  db.close();
  return v;
}

function expectBroken(v: Pick<VerifyResult, 'ok' | 'reasonCode' | 'firstBroken' | 'reason'>, seq: number, code: string, label: string): void {
  assert.equal(v.ok, false, `${label}: not detected`);
  assert.equal(v.reasonCode, code, `${label}: named '${v.reasonCode}' (${v.reason})`);
  assert.equal(v.firstBroken, seq, `${label}: first broken ${v.firstBroken} (${v.reason})`);
  assert.ok(v.reason && v.reason.length > 10, `${label}: a reason is given`);
}

/** What an insider who knows the algorithm does after an edit: every hash from `seq` on recomputed, and the head. */
function relinkFrom(db: Database.Database, seq: number): void {
  let prev = seq > 1 ? (db.prepare('SELECT hash FROM audit_events WHERE seq = ?').get(seq - 1) as { hash: string }).hash : GENESIS_HASH;
  for (const e of db.prepare('SELECT * FROM audit_events WHERE seq >= ? ORDER BY seq').all(seq) as EventRow[]) {
    const hash = eventHash({ ...e, prev_hash: prev });
    db.prepare('UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, hash, e.seq);
    prev = hash;
  }
  const last = db.prepare('SELECT seq FROM audit_events ORDER BY seq DESC LIMIT 1').get() as { seq: number };
  db.prepare('UPDATE chain_head SET seq = ?, hash = ?').run(last.seq, prev);
}

function differentHex(h: string): string {
  return (h[0] === '0' ? '1' : '0') + h.slice(1);
}

test('the untouched copy verifies', () => {
  assert.equal(N, 8);
  const v = tamper(() => {});
  assert.equal(v.ok, true, v.reason ?? '');
  assert.equal(v.events, N);
  assert.equal(v.checkpoints, 1);
  assert.ok(v.missingProtections.length > 0, 'dropped triggers are reported');
});

test('every single-field edit of every event is named "edited" at that event', () => {
  const fields = ['time', 'actor', 'action', 'entity_type', 'entity_id', 'payload_hash', 'prev_hash', 'hash'] as const;
  let cases = 0;
  for (const e of base.events) {
    for (const f of fields) {
      const current = e[f];
      const next = f.endsWith('hash') ? differentHex(String(current)) : `${current ?? ''}x`;
      const v = tamper((db) => db.prepare(`UPDATE audit_events SET ${f} = ? WHERE seq = ?`).run(next, e.seq));
      expectBroken(v, e.seq, 'edited', `edit ${f} of ${e.seq}`);
      cases++;
    }
    // The sequence number itself moved to a free number.
    expectBroken(tamper((db) => db.prepare('UPDATE audit_events SET seq = ? WHERE seq = ?').run(N + 10, e.seq)), e.seq, 'edited', `move ${e.seq}`);
    // The payload text: system events carry one; finding events must not gain one.
    expectBroken(
      tamper((db) => db.prepare("UPDATE audit_events SET payload = coalesce(payload, '') || ' ' WHERE seq = ?").run(e.seq)),
      e.seq,
      'payload',
      `payload text of ${e.seq}`,
    );
    cases += 2;
  }
  assert.equal(cases, N * 10);
});

test('an edit with a recomputed hash is still caught, by the next link or the chain head', () => {
  for (const e of base.events) {
    const v = tamper((db) => {
      const edited = { ...e, actor: 'mallory' };
      db.prepare('UPDATE audit_events SET actor = ?, hash = ? WHERE seq = ?').run('mallory', eventHash(edited), e.seq);
    });
    expectBroken(v, e.seq, 'edited', `rehashed edit of ${e.seq}`);
    assert.match(v.reason!, new RegExp(`^event ${e.seq} was rewritten: its hash is not the (one event ${e.seq + 1} links to|recorded chain head)$`));
    assert.equal(v.checkpoints, e.seq < base.checkpointSeq ? 0 : 1, 'checkpoints counted up to the break');
  }
});

test('every single deletion is named "deleted" at the missing event', () => {
  for (const e of base.events) {
    expectBroken(tamper((db) => db.prepare('DELETE FROM audit_events WHERE seq = ?').run(e.seq)), e.seq, 'deleted', `delete ${e.seq}`);
  }
  expectBroken(tamper((db) => db.exec('DELETE FROM chain_head')), N, 'deleted', 'delete head');
});

test('insertions are named "inserted": after the head, far beyond it, before the start, and a well-formed forged event', () => {
  const last = base.events[N - 1];
  const forged = { seq: N + 1, time: new Date().toISOString(), actor: 'mallory', action: 'finding.record', entity_type: 'finding', entity_id: 'f-x', payload: null, payload_hash: 'a'.repeat(64), prev_hash: last.hash };
  const insert = (db: Database.Database, row: Omit<EventRow, 'hash'> & { hash?: string }) =>
    db
      .prepare('INSERT INTO audit_events VALUES (@seq, @time, @actor, @action, @entity_type, @entity_id, @payload, @payload_hash, @prev_hash, @hash)')
      .run({ ...row, hash: row.hash ?? eventHash(row) });
  expectBroken(tamper((db) => insert(db, forged)), N + 1, 'inserted', 'forged at head');
  expectBroken(tamper((db) => insert(db, { ...forged, seq: N + 50 })), N + 50, 'inserted', 'far beyond');
  expectBroken(tamper((db) => insert(db, { ...forged, seq: 0, prev_hash: GENESIS_HASH })), 0, 'inserted', 'before start');
  expectBroken(tamper((db) => insert(db, { ...forged, hash: 'b'.repeat(64) })), N + 1, 'inserted', 'garbage at head');
  // A finding row smuggled in, claiming a system event.
  expectBroken(
    tamper((db) => {
      const row = db.prepare('SELECT * FROM findings LIMIT 1').get() as Record<string, unknown>;
      db.prepare('INSERT INTO findings (id, seq, explanation_row, time, reviewer, decision, note, study_label, app_version, store_identifying) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run('smuggled', base.checkpointSeq, row.explanation_row, row.time, 'mallory', 'agree', '', null, '0', 0);
    }),
    base.checkpointSeq,
    'inserted',
    'smuggled finding',
  );
});

test('every swap of two events is named "reordered" at the earlier one', () => {
  let cases = 0;
  for (let a = 1; a <= N; a++) {
    for (let b = a + 1; b <= N; b++) {
      const v = tamper((db) => {
        db.prepare('UPDATE audit_events SET seq = -1 WHERE seq = ?').run(a);
        db.prepare('UPDATE audit_events SET seq = ? WHERE seq = ?').run(a, b);
        db.prepare('UPDATE audit_events SET seq = ? WHERE seq = -1').run(b);
      });
      expectBroken(v, a, 'reordered', `swap ${a}<->${b}`);
      cases++;
    }
  }
  assert.equal(cases, (N * (N - 1)) / 2);
});

test('edits to what a finding showed (decision, note, map, similarity, scan, model) are named "payload"', () => {
  const [f1, f2] = base.findings;
  const shared = base.findings[4];
  const cases: [string, number][] = [
    [`UPDATE findings SET decision = CASE decision WHEN 'agree' THEN 'disagree' ELSE 'agree' END WHERE id = '${f1.id}'`, f1.seq],
    [`UPDATE findings SET note = note || '!' WHERE id = '${f2.id}'`, f2.seq],
    [`UPDATE findings SET reviewer = 'mallory' WHERE id = '${f2.id}'`, f2.seq],
    [`UPDATE findings SET store_identifying = 1 WHERE id = '${f1.id}'`, f1.seq],
    [`UPDATE findings SET study_label = NULL WHERE id = '${f1.id}'`, f1.seq],
    [`UPDATE findings SET time = '2020-01-01T00:00:00.000Z' WHERE id = '${f2.id}'`, f2.seq],
    [`UPDATE explanations SET similarity = similarity + 1e-9 WHERE id = (SELECT explanation_row FROM findings WHERE id = '${f2.id}')`, f2.seq],
    [`UPDATE explanations SET method = 'gradcam' WHERE id = (SELECT explanation_row FROM findings WHERE id = '${f1.id}')`, f1.seq],
    // One stored byte of the (deflated) body changed.
    [`UPDATE explanations SET body = unhex(substr(hex(body), 1, 40) || 'FF' || substr(hex(body), 43)) WHERE id = (SELECT explanation_row FROM findings WHERE id = '${f1.id}')`, f1.seq],
    [`UPDATE explanations SET codec = 1 WHERE id = (SELECT explanation_row FROM findings WHERE id = '${f2.id}')`, f2.seq],
    // The shared explanation: the first finding that shows it breaks.
    [`UPDATE explanations SET map_values = zeroblob(length(map_values)) WHERE id = (SELECT explanation_row FROM findings WHERE id = '${shared.id}')`, base.findings[3].seq],
    [`UPDATE scans SET patient_name = 'DOE^JANE' WHERE id = (SELECT scan_id FROM explanations x JOIN findings f ON f.explanation_row = x.id WHERE f.id = '${f2.id}')`, f2.seq],
    [`UPDATE models SET sha256 = '${'c'.repeat(64)}'`, f1.seq],
    [`DELETE FROM findings WHERE id = '${f2.id}'`, f2.seq],
    ['DELETE FROM models', f1.seq],
    [`DELETE FROM scans WHERE id = (SELECT scan_id FROM explanations x JOIN findings f ON f.explanation_row = x.id WHERE f.id = '${f2.id}')`, f2.seq],
    [`DELETE FROM explanations WHERE id = (SELECT explanation_row FROM findings WHERE id = '${f1.id}')`, f1.seq],
    [`UPDATE findings SET seq = ${f2.seq} WHERE id = '${f1.id}'`, f1.seq],
  ];
  for (const [sql, seq] of cases) {
    const v = tamper((db) => {
      if (sql.includes(`SET seq = ${f2.seq}`)) db.prepare('DELETE FROM findings WHERE id = ?').run(f2.id);
      db.exec(sql);
    });
    expectBroken(v, seq, 'payload', sql);
  }
});

test('a whole chain rewritten with recomputed hashes: the stored checkpoint and an exported one both catch it', () => {
  const target = base.findings[0];
  /** What an insider who knows the algorithm does: edit a note, rehash its payload and every later event. */
  const rewrite = (db: Database.Database, dropCheckpoint: boolean) => {
    db.prepare("UPDATE findings SET note = 'rewritten' WHERE id = ?").run(target.id);
    const stored = db.prepare(`${STORED_FINDING_SQL} WHERE f.id = ?`).get(target.id) as StoredFinding;
    db.prepare('UPDATE audit_events SET payload_hash = ? WHERE seq = ?').run(payloadHashOf(stored), target.seq);
    if (dropCheckpoint) {
      db.prepare('DELETE FROM audit_events WHERE seq = ?').run(base.checkpointSeq);
      db.prepare('UPDATE audit_events SET seq = seq - 1 WHERE seq > ?').run(base.checkpointSeq);
      db.prepare('UPDATE findings SET seq = seq - 1 WHERE seq > ?').run(base.checkpointSeq);
    }
    relinkFrom(db, target.seq);
  };
  const withCheckpoint = tamper((db) => rewrite(db, false));
  expectBroken(withCheckpoint, base.checkpointSeq, 'edited', 'rewrite under a stored checkpoint');
  assert.match(withCheckpoint.reason!, /rewritten/);

  // Dropping the checkpoint too leaves a file that is consistent on its own; only the exported checkpoint knows.
  const db = new Database(base.image);
  db.pragma('foreign_keys = OFF');
  for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) db.exec(`DROP TRIGGER ${t.name}`);
  rewrite(db, true);
  assert.equal(verifyChain(db).ok, true, 'a full rewrite is self-consistent');
  const image = db.serialize();
  db.close();
  inTempDir((dir) => {
    const file = join(dir, 'rewritten.db');
    writeFileSync(file, image);
    const store = AuditStore.open(file, { readOnly: true });
    const check = store.checkCheckpoint(base.checkpoint);
    assert.equal(check.ok, false);
    assert.match(check.reason!, /rewritten/);
    store.close();
  });
});

test('verify through a real file copy opened by AuditStore (as the CLI does)', () => {
  inTempDir((dir) => {
    const file = join(dir, 'copy.db');
    writeFileSync(file, base.image);
    const ok = AuditStore.open(file, { readOnly: true });
    assert.equal(ok.verify().ok, true);
    ok.close();
    const raw = new Database(file);
    raw.pragma('foreign_keys = OFF');
    raw.exec('DROP TRIGGER audit_events_no_delete');
    raw.prepare('DELETE FROM audit_events WHERE seq = ?').run(3);
    raw.close();
    copyFileSync(file, join(dir, 'copy2.db'));
    const store = AuditStore.open(join(dir, 'copy2.db'), { readOnly: true });
    const v = store.verify();
    expectBroken(v, 3, 'deleted', 'file copy');
    assert.deepEqual(v.missingProtections, ['audit_events_no_delete']);
    store.close();
  });
});

test('several events deleted, and a chain head moved past the last event, are named with their range', () => {
  const v = tamper((db) => db.prepare('DELETE FROM audit_events WHERE seq IN (3, 4)').run());
  expectBroken(v, 3, 'deleted', 'delete 3 and 4');
  assert.equal(v.reason, 'events 3..4 were deleted');
  expectBroken(tamper((db) => db.prepare('DELETE FROM audit_events WHERE seq = 4').run()), 4, 'deleted', 'delete 4');
  const one = tamper((db) => db.exec('UPDATE chain_head SET seq = seq + 1'));
  expectBroken(one, N + 1, 'deleted', 'head one further');
  assert.equal(one.reason, `event ${N + 1} (the last) was deleted`);
  const two = tamper((db) => db.exec('UPDATE chain_head SET seq = seq + 2'));
  expectBroken(two, N + 1, 'deleted', 'head two further');
  assert.equal(two.reason, `events ${N + 1}..${N + 2} (the last) were deleted`);
});

test('findings that point past the events, before them, or whose id or explanation changed are named', () => {
  const [f1] = base.findings;
  const copyOf = (db: Database.Database, id: string, seq: number) => {
    const row = db.prepare('SELECT * FROM findings WHERE id = ?').get(f1.id) as Record<string, unknown>;
    db.prepare('INSERT INTO findings (id, seq, explanation_row, time, reviewer, decision, note, study_label, app_version, store_identifying) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, seq, row.explanation_row, row.time, 'mallory', 'agree', '', null, '0', 0);
  };
  const before = tamper((db) => copyOf(db, 'early', 0));
  expectBroken(before, 0, 'inserted', 'finding before the first event');
  assert.equal(before.reason, 'finding early refers to event 0, which does not exist');
  const after = tamper((db) => copyOf(db, 'late', N + 5));
  expectBroken(after, N + 5, 'inserted', 'finding after the last event');
  assert.equal(after.reason, `finding late refers to event ${N + 5}, which does not exist`);
  const renamed = tamper((db) => db.prepare("UPDATE findings SET id = 'renamed' WHERE id = ?").run(f1.id));
  expectBroken(renamed, f1.seq, 'payload', 'finding renamed');
  assert.equal(renamed.reason, `event ${f1.seq} records finding ${f1.id} but the findings table gives renamed for it`);
  const gone = tamper((db) => db.prepare('DELETE FROM explanations WHERE id = (SELECT explanation_row FROM findings WHERE id = ?)').run(f1.id));
  assert.equal(gone.reason, `the explanation of finding ${f1.id} is missing`);
});

test('a stored checkpoint that cannot be read, is not validly signed, or signs an event that does not exist is named, even with the chain relinked', () => {
  const cp = base.checkpointSeq;
  const withPayload = (payload: string) =>
    tamper((db) => {
      db.prepare('UPDATE audit_events SET payload = ?, payload_hash = ? WHERE seq = ?').run(payload, sha256Hex(payload), cp);
      relinkFrom(db, cp);
    });
  for (const text of ['{not json', 'null']) {
    const v = withPayload(text);
    expectBroken(v, cp, 'edited', `checkpoint payload ${text}`);
  }
  assert.equal(withPayload('{not json').reason, `checkpoint event ${cp} has an unreadable payload`);
  const forged = withPayload(canonicalJson({ ...base.checkpoint, signature: Buffer.alloc(64, 1).toString('base64') }));
  expectBroken(forged, cp, 'edited', 'bad signature');
  assert.equal(forged.reason, `the signature of checkpoint event ${cp} is not valid`);
  const nowhere = withPayload(canonicalJson(signHead(TEST_KEY, N + 7, 'a'.repeat(64))));
  expectBroken(nowhere, cp, 'edited', 'checkpoint of a missing event');
  assert.equal(nowhere.reason, `event ${N + 7} no longer has the hash signed by checkpoint ${cp} (the chain was rewritten)`);
  const fractional = withPayload(canonicalJson({ ...signHead(TEST_KEY, 2, base.events[1].hash), seq: 2.5 }));
  expectBroken(fractional, cp, 'edited', 'checkpoint of seq 2.5');
});

test('a verification resumed after a prefix: a checkpoint signing an event inside the prefix still holds; an event copied from the prefix is an edit', () => {
  const cp = base.checkpointSeq;
  const signed = base.checkpoint.seq;
  assert.ok(signed < cp, 'the checkpoint signs an earlier event');
  const resume = (at: number) => ({ seq: at, hash: base.events[at - 1].hash, checkpoints: 0 });
  // An edit after the checkpoint makes the walk run; it must pass the checkpoint first.
  const db = new Database(base.image);
  for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) db.exec(`DROP TRIGGER ${t.name}`);
  db.prepare("UPDATE audit_events SET actor = 'mallory' WHERE seq = ?").run(N);
  const v = verifyChain(db, resume(signed));
  expectBroken(v, N, 'edited', 'edit after a resumed checkpoint');
  assert.equal(v.checkpoints, 1);
  // Event 2's row written over event 7 (its own seq kept): no event after the prefix has that hash.
  const e2 = base.events[1];
  db.prepare('UPDATE audit_events SET actor = ?, action = ?, time = ?, entity_type = ?, entity_id = ?, payload = ?, payload_hash = ?, prev_hash = ?, hash = ? WHERE seq = 7')
    .run(e2.actor, e2.action, e2.time, e2.entity_type, e2.entity_id, e2.payload, e2.payload_hash, e2.prev_hash, e2.hash);
  const copied = verifyChain(db, resume(cp));
  expectBroken(copied, 7, 'edited', 'event 2 copied over 7, verified from 6');
  expectBroken(verifyChain(db), 7, 'reordered', 'the same, verified in full');
  db.close();
});

test('resuming at the head: nothing new to read, the prefix is the answer', () => {
  const db = new Database(base.image);
  const head = { seq: N, hash: base.events[N - 1].hash, checkpoints: 1 };
  const v = verifyChain(db, head);
  db.close();
  assert.deepEqual(v, { ok: true, events: N, verifiedHead: { seq: N, hash: head.hash }, firstBroken: null, reason: null, missingProtections: [], checkpoints: 1 });
});

test('the last event deleted and one forged past the head: the deletion is named first; a system event without payload text hashes as the empty text', () => {
  const last = base.events[N - 1];
  const v = tamper((db) => {
    db.prepare('DELETE FROM audit_events WHERE seq = ?').run(N);
    db.prepare('INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(N + 1, last.time, 'mallory', last.action, last.entity_type, last.entity_id, last.payload, last.payload_hash, last.hash, 'b'.repeat(64));
  });
  expectBroken(v, N, 'deleted', 'last deleted, one past the head added');
  assert.equal(v.reason, `event ${N} was deleted`);
  const first = base.events[0];
  assert.notEqual(first.action, 'finding.record');
  const empty = tamper((db) => {
    db.prepare('UPDATE audit_events SET payload = NULL, payload_hash = ? WHERE seq = 1').run(sha256Hex(''));
    relinkFrom(db, 1);
  });
  // Event 1's own check passes (no payload, the empty text's hash); the relinked chain is then caught by the checkpoint.
  expectBroken(empty, base.checkpointSeq, 'edited', 'payload NULL on event 1, chain relinked');
});

test('an empty log (no events, no head) verifies at the genesis hash', () => {
  const v = tamper((db) => db.exec('DELETE FROM findings; DELETE FROM audit_events; DELETE FROM chain_head'));
  assert.equal(v.ok, true, v.reason ?? '');
  assert.deepEqual([v.events, v.verifiedHead, v.checkpoints], [0, { seq: 0, hash: GENESIS_HASH }, 0]);
});
