/**
 * A file written by the previous release (schema 4, explanations stored as JSON text + Float32
 * blobs, made by the code at commit 4e73afa): it must open, migrate, verify and read back under
 * the hashes it was recorded with, catch edits of its old-format rows, and take new findings in
 * the compact codec beside the old ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditStore } from '../../db/audit-store';
import { verifyChain } from '../../db/chain';
import { CODEC_DEFLATE, CODEC_JSON } from '../../db/finding-codec';
import { LATEST_VERSION } from '../../db/schema';
import { inTempDir, makeExplanation, makeInput } from './helpers';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'schema4-codec1.db');
/** What the old code returned when it recorded them (seed 1..3, a checkpoint at 5, seed 4). */
const RECORDED = [
  { findingId: 'ee5ec2bb-eb01-445c-9f0c-c710b368f3f6', seq: 2, eventHash: '46b8a457f91f789687c61a2f76be2a3164b3313591f088ae517ab0175ae573b3', seed: 1 },
  { findingId: '6066acf6-c72f-48d6-89d9-89795365b248', seq: 3, eventHash: '75299be5c330e97c3dea7e874c86453d99469075a30cff9272f26613fe19c093', seed: 2 },
  { findingId: '0aab0fe9-638a-4d5b-aeda-678fef2e388d', seq: 4, eventHash: '3ad481f3ce52be7f6b9dddf4789b64f1b78c12f75eddc6c961da2f8e6c1ae95c', seed: 3 },
  { findingId: 'bab5f515-ca82-449b-a3df-f342f98ebe68', seq: 6, eventHash: 'c8bfe82747445cf3593337ec0d9bb5fc962586b3bf4fbb25fe832ea13f8296fd', seed: 4 },
];

test('a schema-4 file from the previous release migrates, verifies and reads back; new findings are stored compactly', () => {
  inTempDir((dir) => {
    const file = join(dir, 'old.db');
    copyFileSync(FIXTURE, file);
    const store = AuditStore.open(file);
    const v = store.verify({ full: true });
    assert.equal(v.ok, true, v.reason ?? '');
    assert.equal(v.events, 7, '6 old events + the migration');
    assert.equal(v.checkpoints, 1);
    for (const r of RECORDED) {
      const back = store.getFinding(r.findingId);
      assert.equal(back.seq, r.seq);
      assert.equal(back.eventHash, r.eventHash);
      const expected = makeExplanation({ seed: r.seed, mapSize: 8 });
      assert.deepStrictEqual(back.explanation, expected);
    }
    const added = store.recordFinding(makeInput({ seed: 9, mapSize: 8 }));
    assert.deepStrictEqual(store.getFinding(added.findingId), added);
    assert.equal(store.verify({ full: true }).ok, true);
    store.close();

    const raw = new Database(file, { readonly: true });
    assert.equal(raw.pragma('user_version', { simple: true }), LATEST_VERSION);
    const codecs = raw.prepare('SELECT x.codec, typeof(x.body) AS t FROM findings f JOIN explanations x ON x.id = f.explanation_row ORDER BY f.seq').all();
    raw.close();
    assert.deepEqual(codecs, [...RECORDED.map(() => ({ codec: CODEC_JSON, t: 'text' })), { codec: CODEC_DEFLATE, t: 'blob' }]);
  });
});

test('edits of old-format rows are still named at their finding', () => {
  inTempDir((dir) => {
    const file = join(dir, 'old.db');
    copyFileSync(FIXTURE, file);
    AuditStore.open(file).close(); // migrate once
    const image = (() => {
      const raw = new Database(file, { readonly: true });
      const img = raw.serialize();
      raw.close();
      img[18] = 1;
      img[19] = 1;
      return img;
    })();
    const [f1, f2, f3] = RECORDED;
    const cases: [string, number][] = [
      [`UPDATE explanations SET body = replace(body, 'Right', 'Left') WHERE id = (SELECT explanation_row FROM findings WHERE id = '${f1.findingId}')`, f1.seq],
      [`UPDATE explanations SET map_values = zeroblob(length(map_values)) WHERE id = (SELECT explanation_row FROM findings WHERE id = '${f2.findingId}')`, f2.seq],
      [`UPDATE explanations SET codec = 2 WHERE id = (SELECT explanation_row FROM findings WHERE id = '${f3.findingId}')`, f3.seq],
      [`UPDATE findings SET note = note || '!' WHERE id = '${f2.findingId}'`, f2.seq],
    ];
    for (const [sql, seq] of cases) {
      const db = new Database(image);
      for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) db.exec(`DROP TRIGGER ${t.name}`);
      db.exec(sql);
      const v = verifyChain(db);
      db.close();
      assert.equal(v.ok, false, sql);
      assert.equal(v.reasonCode, 'payload', `${sql}: ${v.reason}`);
      assert.equal(v.firstBroken, seq, `${sql}: ${v.reason}`);
    }
  });
});
