/**
 * The audit list at scale: every filter gets the rows a plain scan of the log would give, and
 * SQLite's plan (EXPLAIN QUERY PLAN) is the intended one: rare matches driven from their
 * index, common ones read newest first by seq, never a sort of the whole log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AuditStore, type AuditFilter } from '../../db/audit-store';
import type { AuditRow } from '../../electron/api/contract';
import { inTempDir, makeInput } from './helpers';

const FINDINGS = 2100; // above the 2000 matches where a filter stops driving the query from its index

test('list filters: same rows as a full scan, and the planned index for rare and common matches', () => {
  inTempDir((dir) => {
    const store = AuditStore.open(join(dir, 'audit.db'));
    const rare = new Set([7, 700, 1400]);
    const recorded = store.recordFindings(
      Array.from({ length: FINDINGS }, (_, i) =>
        makeInput({ seed: i + 1, mapSize: 2, reviewer: `r${i % 10}`, method: rare.has(i) ? 'ig' : 'nib', study: `S-${i % 100}` }),
      ),
    );
    const seedOf = new Map(recorded.map((r, i) => [r.findingId, i + 1]));
    const all = store.list({ limit: 10_000 });
    assert.equal(all.length, FINDINGS + 1);
    const middle = all[1000];

    const cases: { filter: AuditFilter; keep: (r: AuditRow) => boolean; plan: RegExp[] }[] = [
      { filter: {}, keep: () => true, plan: [/^SCAN e$/] },
      { filter: { reviewer: 'r3' }, keep: (r) => r.actor === 'r3', plan: [/USING INDEX audit_events_actor \(actor=\?\)/] },
      { filter: { method: 'ig' }, keep: (r) => r.method === 'ig', plan: [/LIST SUBQUERY/, /USING COVERING INDEX explanations_method/] },
      { filter: { method: 'nib' }, keep: (r) => r.method === 'nib', plan: [/^SCAN e$/] },
      { filter: { study: 'S-42' }, keep: (r) => r.study === 'S-42', plan: [/LIST SUBQUERY/, /findings_study/, /scans_study/] },
      // makeInput gives seed s the study UID 1.2.826.0.1.(s % 5); the list shows the study label.
      { filter: { study: '1.2.826.0.1.3' }, keep: (r) => r.findingId !== null && seedOf.get(r.findingId)! % 5 === 3, plan: [/LIST SUBQUERY/, /scans_study/] },
      { filter: { model: 'mini-clip' }, keep: (r) => r.model === 'mini-clip', plan: [/^SCAN e$/] },
      { filter: { model: 'other-model' }, keep: () => false, plan: [/LIST SUBQUERY/, /explanations_model/] },
      { filter: { from: middle.time, to: middle.time }, keep: (r) => r.time === middle.time, plan: [/LIST SUBQUERY/, /audit_events_time \(time>\? AND time<\?\)/] },
      { filter: { from: '2000-01-01', to: '2999-12-31' }, keep: () => true, plan: [/^SCAN e$/] },
      { filter: { reviewer: 'r3', method: 'ig', study: 'S-0' }, keep: (r) => r.actor === 'r3' && r.method === 'ig' && r.study === 'S-0', plan: [/audit_events_actor|explanations_method|findings_study/] },
    ];
    for (const { filter, keep, plan } of cases) {
      const label = JSON.stringify(filter);
      const got = store.list({ ...filter, limit: 10_000 });
      assert.deepEqual(got, all.filter(keep), `${label}: rows`);
      assert.deepEqual(store.list({ ...filter, limit: 5 }), got.slice(0, 5), `${label}: limit keeps the newest`);
      const steps = store.listPlan(filter);
      for (const p of plan) assert.ok(steps.some((s) => p.test(s)), `${label}: plan ${steps.join(' | ')} lacks ${p}`);
      assert.ok(!steps.some((s) => /TEMP B-TREE/.test(s)), `${label}: no sort of the log (${steps.join(' | ')})`);
      assert.ok(!steps.some((s) => /^SCAN (f|f2|x|x2|s|s2)\b/.test(s)), `${label}: no scan of a joined table (${steps.join(' | ')})`);
    }
    store.close();
  });
});
