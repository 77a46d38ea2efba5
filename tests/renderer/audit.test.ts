/** The audit view's pure parts: what a chain check says about each row, and how entry numbers are listed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChainStatus } from '../../electron/api/contract';
import { integrityText, rowIntegrity } from '../../renderer/src/audit/integrity';
import { entryList } from '../../renderer/src/session/useReportExport';

const broken: ChainStatus = { ok: false, events: 9, firstBroken: 4, reason: 'event 4 was edited' };

test('rows before the break are verified, the break is broken, rows after it unverifiable', () => {
  assert.deepEqual([1, 3, 4, 5, 9].map((s) => rowIntegrity(s, broken)), ['verified', 'verified', 'broken', 'unverifiable', 'unverifiable']);
  assert.equal(rowIntegrity(4, { ok: true, events: 9, firstBroken: null, reason: null }), 'verified');
  assert.equal(rowIntegrity(4, null), 'unchecked');
  // Broken without a place (a damaged file): nothing can be vouched for.
  assert.equal(rowIntegrity(1, { ok: false, events: 9, firstBroken: null, reason: 'file damaged' }), 'unverifiable');
  assert.match(integrityText(4, broken), /Entry #4 is where the chain breaks: event 4 was edited/);
  assert.match(integrityText(7, broken), /after the break at entry #4/);
});

test('entry numbers are listed sorted, with runs shortened', () => {
  assert.equal(entryList([7]), '#7');
  assert.equal(entryList([9, 2, 5, 6, 7, 2]), '#2, #5–#7, #9');
});
