/**
 * A report is the same file wherever and whenever it is made: two processes, one in UTC and one
 * in UTC+14 (Pacific/Kiritimati) whose clock also reads 1000 days later, write byte-identical
 * PDFs of the same findings, whose times are printed in UTC as recorded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditStore } from '../../db/audit-store';
import { makeInput, tempDir } from '../db/helpers';

const CHILD = fileURLToPath(new URL('./pdf-child.ts', import.meta.url));
const CLOCK = fileURLToPath(new URL('./shifted-clock.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

function renderIn(env: Record<string, string>, preload: string[], dbFile: string, out: string, ids: string[]): Buffer {
  execFileSync(process.execPath, ['--import', TSX, ...preload.flatMap((p) => ['--import', p]), CHILD, dbFile, out, ...ids], { env: { ...process.env, ...env } });
  return readFileSync(out);
}

test('two processes in two time zones, one with its clock 1000 days ahead, write the same PDF bytes', () => {
  const { dir, cleanup } = tempDir('candor-pdf-tz-');
  try {
    const dbFile = join(dir, 'audit.db');
    const store = AuditStore.open(dbFile);
    const recs = [store.recordFinding(makeInput({ seed: 3 })), store.recordFinding(makeInput({ seed: 4 }))];
    store.close();
    const ids = recs.map((r) => r.findingId);
    const utc = renderIn({ TZ: 'UTC' }, [], dbFile, join(dir, 'utc.pdf'), ids);
    const far = renderIn({ TZ: 'Pacific/Kiritimati' }, [CLOCK], dbFile, join(dir, 'kiritimati.pdf'), ids);
    const probe = execFileSync(process.execPath, ['--import', TSX, '--import', CLOCK, '-e', 'console.log(new Date().getTimezoneOffset(), Date.now() - Number(process.argv[1]))', String(Date.now())], { env: { ...process.env, TZ: 'Pacific/Kiritimati' }, encoding: 'utf8' });
    const [offset, ahead] = probe.trim().split(' ').map(Number);
    assert.equal(offset, -14 * 60, 'the second process runs at UTC+14');
    assert.ok(ahead! > 999 * 24 * 3600 * 1000, `its clock is ahead by ${ahead} ms`);
    assert.equal(utc.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.ok(utc.equals(far), `the two PDFs differ (${utc.length} and ${far.length} bytes)`);
    const text = execFileSync('pdftotext', [join(dir, 'utc.pdf'), '-'], { encoding: 'utf8' });
    for (const r of recs) assert.ok(text.includes(r.time.slice(0, 10)), `the recorded date ${r.time.slice(0, 10)} is printed`);
  } finally {
    cleanup();
  }
});
