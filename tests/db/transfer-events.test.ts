/**
 * Events that are not findings (PACS pulls and pushes) go into the same hash chain: verify still
 * passes, they are listed with their actor and action, their canonical payload is covered (an
 * edited payload is caught at its event), and what may not be recorded this way is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditStore } from '../../db/audit-store';
import { verifyChain } from '../../db/chain';
import { inTempDir, makeInput } from './helpers';

const PULL = { node: 'http://pacs/dicom-web', studyUid: '1.2.3', instances: ['1.2.3.4.1', '1.2.3.4.2'], bytes: 1024, outcome: 'success' };

test('a PACS transfer event joins the chain: verify passes, it is listed and its payload kept canonical', () => {
  inTempDir((dir) => {
    const store = AuditStore.open(join(dir, 'audit.db'));
    store.recordFinding(makeInput({ seed: 1 }));
    const pull = store.recordEvent({ actor: 'Dr. Ada', action: 'pacs.pull', entityType: 'study', entityId: '1.2.3', payload: PULL });
    const push = store.recordEvent({ actor: 'Dr. Ada', action: 'pacs.push', entityType: 'study', entityId: '1.2.3', payload: { ...PULL, outcome: 'partial', failed: [{ sopInstanceUid: '9', reason: 'refused' }] } });
    assert.equal(push.seq, pull.seq + 1);
    const status = store.verify({ full: true });
    assert.equal(status.ok, true, status.reason ?? '');
    assert.equal(status.events, push.seq);
    const rows = store.list({});
    assert.deepEqual(rows.slice(0, 2).map((r) => [r.seq, r.actor, r.action, r.findingId, r.eventHash]), [
      [push.seq, 'Dr. Ada', 'pacs.push', null, push.eventHash],
      [pull.seq, 'Dr. Ada', 'pacs.pull', null, pull.eventHash],
    ]);
    assert.equal(store.list({ reviewer: 'Dr. Ada' }).filter((r) => r.action.startsWith('pacs.')).length, 2, 'found by actor');
    // The study a transfer moved shows in the list's study column and is found by the study filter.
    assert.deepEqual(rows.slice(0, 2).map((r) => r.study), ['1.2.3', '1.2.3']);
    assert.deepEqual(store.list({ study: '1.2.3' }).map((r) => r.seq), [push.seq, pull.seq]);
    const ev = store.events(pull.seq, 1)[0]!;
    assert.equal(ev.payload, '{"bytes":1024,"instances":["1.2.3.4.1","1.2.3.4.2"],"node":"http://pacs/dicom-web","outcome":"success","studyUid":"1.2.3"}');
    assert.equal(ev.entity_type, 'study');
    assert.equal(ev.entity_id, '1.2.3');
    store.close();
    // The payload is evidence: changing it on a copy (triggers dropped) breaks the chain at that event.
    const db = new Database(join(dir, 'audit.db'));
    for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) db.exec(`DROP TRIGGER ${t.name}`);
    db.prepare('UPDATE audit_events SET payload = replace(payload, ?, ?) WHERE seq = ?').run('1.2.3.4.2', '1.2.3.4.3', pull.seq);
    const v = verifyChain(db);
    db.close();
    assert.equal(v.ok, false);
    assert.equal(v.firstBroken, pull.seq);
    assert.equal(v.reasonCode, 'payload');
  });
});

test('recordEvent refuses what it may not record: a finding or checkpoint action, a bad name, no actor, a read-only log', () => {
  inTempDir((dir) => {
    const file = join(dir, 'audit.db');
    const store = AuditStore.open(file);
    for (const action of ['finding.record', 'checkpoint.sign', 'pull', 'PACS.Pull', 'pacs pull']) {
      assert.throws(() => store.recordEvent({ actor: 'a', action, entityType: 'study', entityId: null, payload: {} }), /cannot be recorded as an event/, action);
    }
    assert.throws(() => store.recordEvent({ actor: '  ', action: 'pacs.pull', entityType: 'study', entityId: null, payload: {} }), /the actor is required/);
    store.recordEvent({ actor: 'a', action: 'pacs.pull', entityType: 'study', entityId: null, payload: {} });
    store.close();
    const ro = AuditStore.open(file, { readOnly: true });
    assert.throws(() => ro.recordEvent({ actor: 'a', action: 'pacs.pull', entityType: 'study', entityId: null, payload: {} }));
    assert.equal(ro.verify().ok, true);
    ro.close();
  });
});
