/**
 * The reader's region recorded with a finding: read back exactly, covered by the finding's
 * payload hash (so by the chain and its signatures), and absent (null) on every older record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditStore } from '../../db/audit-store';
import { CODEC_DEFLATE, encodeExplanation } from '../../db/finding-codec';
import type { ReaderRegion } from '../../db/types';
import { withoutTriggers } from './attacks';
import { inTempDir, makeInput, TEST_KEY } from './helpers';

const REGION: ReaderRegion = {
  region: { kind: 'outline', points: [[10.5, 20.25], [40, 22], [35.75, 60], [12, 55.5]] },
  scan: { width: 384, height: 384 },
  metrics: { pointingGame: 1, pointingGameTolerant: 1, relevanceMass: 0.123456789, relevanceRankAccuracy: 0.5, iouTop: 0.25, topPercent: 5, tolerancePx: 16, regionFraction: 0.01 },
};

test('a region recorded with a finding reads back identical; one without has none', () => {
  inTempDir((dir) => {
    const store = AuditStore.open(join(dir, 'a.db'), { signingKey: TEST_KEY });
    const withRegion = store.recordFinding({ ...makeInput({ seed: 1, mapSize: 8 }), region: REGION });
    const without = store.recordFinding(makeInput({ seed: 2, mapSize: 8 }));
    assert.deepStrictEqual(withRegion.region, REGION);
    assert.equal('region' in without, false);
    assert.deepStrictEqual(store.getFinding(withRegion.findingId), withRegion);
    assert.equal('region' in store.getFinding(without.findingId), false);
    assert.equal('readerRegion' in store.getFinding(withRegion.findingId).explanation, false, 'the explanation stays as the model room made it');
    assert.equal(store.verify({ full: true }).ok, true);
    store.close();
  });
});

test('a finding of the previous release (schema 4) reads with no region', () => {
  inTempDir((dir) => {
    const file = join(dir, 'old.db');
    copyFileSync(join(import.meta.dirname, 'fixtures', 'schema4-codec1.db'), file);
    const store = AuditStore.open(file);
    const rows = store.list({ limit: 100 }).filter((r) => r.findingId);
    assert.ok(rows.length >= 4);
    for (const r of rows) assert.equal('region' in store.getFinding(r.findingId!), false);
    store.close();
  });
});

test('removing or moving the region afterwards breaks the finding’s payload hash', () => {
  for (const edit of ['remove', 'move'] as const) {
    inTempDir((dir) => {
      const file = join(dir, 'a.db');
      const store = AuditStore.open(file, { signingKey: TEST_KEY });
      const input = { ...makeInput({ seed: 3, mapSize: 8 }), region: REGION };
      const rec = store.recordFinding(input);
      store.close();
      const forged: ReaderRegion | null = edit === 'remove' ? null : { ...REGION, region: { kind: 'box', x: 0, y: 0, width: 5, height: 5 } };
      const enc = encodeExplanation(input.explanation, CODEC_DEFLATE, forged);
      withoutTriggers(file, (db) => {
        db.prepare('UPDATE explanations SET body = ? WHERE id = (SELECT explanation_row FROM findings WHERE id = ?)').run(enc.body, rec.findingId);
      });
      const again = AuditStore.open(file);
      const v = again.verify({ full: true });
      assert.equal(v.ok, false, `${edit}: verify must fail`);
      assert.equal(v.reasonCode, 'payload', `${edit}: ${v.reason}`);
      assert.throws(() => again.getFinding(rec.findingId), /does not match its audit event/);
      again.close();
    });
  }
});

test('a malformed region is refused, naming the file', () => {
  inTempDir((dir) => {
    const store = AuditStore.open(join(dir, 'a.db'));
    const bad = { ...REGION, region: { kind: 'outline' as const, points: [[1, 2], [3, Number.NaN], [5, 6]] as [number, number][] } };
    assert.throws(() => store.recordFinding({ ...makeInput({ seed: 4, mapSize: 8 }), region: bad }), /a\.db.*region is not a box or an outline/);
    store.close();
  });
});
