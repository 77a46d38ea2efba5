/**
 * PDF file names come from the audit entry numbers: two exports of different findings never
 * share a name, and a new session (a reload, a restart) does not start counting again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AuditStore } from '../../db/audit-store';
import { createDispatch } from '../../electron/ipc/handlers';
import { createServices } from '../../electron/services/index';
import { reportFileName } from '../../electron/services/report';
import { inTempDir, makeInput } from '../db/helpers';

test('report names list the entries: one, a run, runs, and a long list summarized with a hash', () => {
  assert.equal(reportFileName([12]), 'candor-report-entry-12.pdf');
  assert.equal(reportFileName([14, 12, 13]), 'candor-report-entries-12-14.pdf');
  assert.equal(reportFileName([3, 7, 8, 9, 3]), 'candor-report-entries-3_7-9.pdf');
  const many = [1, 3, 5, 7, 9, 11];
  const other = [1, 3, 5, 7, 10, 11];
  assert.match(reportFileName(many), /^candor-report-6-entries-1-to-11-[0-9a-f]{8}\.pdf$/);
  assert.notEqual(reportFileName(many), reportFileName(other), 'same first, last and count, other entries: another name');
  assert.throws(() => reportFileName([]));
});

test('the report service names its files by entry number, the same after a restart', () =>
  inTempDir(async (dir) => {
    const dbPath = join(dir, 'audit.sqlite');
    const store = AuditStore.open(dbPath);
    const ids = [1, 2, 3, 4].map((seed) => store.recordFinding(makeInput({ seed })));
    store.close();
    const exportOnce = async (findingIds: string[]) => {
      const services = createServices({ appVersion: 'test', modelDir: null, samplesIndex: null, dbPath, reportsDir: join(dir, 'reports') });
      try {
        const res = await createDispatch(services)('report:pdf', { findingIds });
        assert.ok(res.ok, JSON.stringify(res));
        return (res.value as { path: string }).path;
      } finally {
        await services.dispose();
      }
    };
    const [a, b, c, d] = ids;
    const first = await exportOnce([a!.findingId]);
    const second = await exportOnce([c!.findingId, b!.findingId, d!.findingId]);
    assert.equal(basename(first), `candor-report-entry-${a!.seq}.pdf`);
    assert.equal(basename(second), `candor-report-entries-${b!.seq}-${d!.seq}.pdf`);
    assert.ok(existsSync(first) && existsSync(second), 'both files are there: the second did not replace the first');
    // A new session (new services over the same log) names the same entry the same way, not "report 1".
    assert.equal(await exportOnce([d!.findingId]), join(dir, 'reports', `candor-report-entry-${d!.seq}.pdf`));
  }),
);
