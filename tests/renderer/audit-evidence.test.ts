/**
 * What the auditor view says about real verify reports: logs written by the real store, signed by
 * an installation's key, attacked as an insider would (tests/db/attacks.ts), checked with anchors
 * (a PDF report and a checkpoint file taken before): the verdict's sentence, the coverage runs, each
 * anchor's result, each row's mark. Also a replay's and an export's words.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AuditStore } from '../../db/audit-store';
import { readAnchorFile } from '../../db/anchors';
import { protectedPaths } from '../../db/file-guard';
import { installationPaths } from '../../db/installation';
import { installationKey } from '../../db/installation-key';
import { TrustStore } from '../../db/trust';
import type { VerifyReport } from '../../electron/api/contract';
import { writeFindingsPdf } from '../../electron/services/report';
import { anchorResult, coverageRuns, headline, signerText } from '../../renderer/src/audit/evidence';
import { integrityText, rowEvidence, rowIntegrity } from '../../renderer/src/audit/integrity';
import { formatDiff } from '../../renderer/src/audit/replayText';
import { exportNoteClass, exportNoteFor } from '../../renderer/src/session/useReportExport';
import { rewriteDecision, truncateTo } from '../db/attacks';
import { inTempDir, makeInput } from '../db/helpers';

interface Log {
  db: string;
  config: string;
  dir: string;
  /** seq of each finding, oldest first. */
  seqs: number[];
  ids: string[];
}

/** migrate + `n` findings, every head signed by the installation's key (as the app records). */
function signedLog(dir: string, n: number): Log {
  const config = join(dir, 'config');
  const db = join(dir, 'audit.db');
  const store = AuditStore.open(db, { signingKey: installationKey(installationPaths(config)).key });
  const found = Array.from({ length: n }, (_, i) => store.recordFinding(makeInput({ seed: i + 1 })));
  store.close();
  return { db, config, dir, seqs: found.map((f) => f.seq), ids: found.map((f) => f.findingId) };
}

function verify(log: Log, anchors: string[] = []): VerifyReport {
  const store = AuditStore.open(log.db, { readOnly: true });
  try {
    return store.verifyEvidence({ trust: TrustStore.load(installationPaths(log.config).trustFile), anchors: anchors.flatMap((a) => readAnchorFile(a)), anchorsDir: null });
  } finally {
    store.close();
  }
}

/** A PDF report of some findings, taken now: an anchor an auditor keeps elsewhere. */
async function pdfOf(log: Log, ids: string[], name: string): Promise<string> {
  const store = AuditStore.open(log.db, { readOnly: true });
  const out = join(log.dir, name);
  await writeFindingsPdf(store, ids, { outPath: out, guard: protectedPaths({ databases: [log.db] }) });
  store.close();
  return out;
}

const runs = (r: VerifyReport) => coverageRuns(r).map((x) => `${x.kind} ${x.from}-${x.to}`);

test('an intact signed log with a PDF anchor: all covered, by a signature and by the anchor, named', async () => {
  await inTempDir(async (dir) => {
    const log = signedLog(dir, 4);
    const pdf = await pdfOf(log, [log.ids[1]!], 'report-3.pdf');
    const r = verify(log, [pdf]);
    assert.equal(r.verdict, 'verified', r.summary);
    assert.deepEqual(runs(r), ['both 1-5']);
    assert.deepEqual(headline(r), { label: 'VERIFIED', text: 'All 5 events covered: events 1–5 by a trusted signature, events 1–5 also by anchor report-3.pdf.' });
    assert.equal(anchorResult(r.anchors[0]!), 'matches');
    assert.match(signerText(r.signers[0]!), /^pinned key [0-9a-f]{16}… \(.+\): 4 signatures, newest over event 5; vouches for events 1–5$/);
    assert.deepEqual([1, 5].map((s) => rowIntegrity(s, r)), ['verified', 'verified']);
  });
});

test('findings recorded without a key: the newest events are named as not covered, the rows marked, never "verified"', async () => {
  await inTempDir(async (dir) => {
    const log = signedLog(dir, 2);
    const unsigned = AuditStore.open(log.db);
    unsigned.recordFinding(makeInput({ seed: 7 }));
    unsigned.recordFinding(makeInput({ seed: 8 }));
    unsigned.close();
    const r = verify(log);
    assert.equal(r.verdict, 'uncovered', r.summary);
    assert.deepEqual(runs(r), ['signature 1-3', 'uncovered 4-5']);
    assert.deepEqual(headline(r), {
      label: 'NOT COVERED',
      text: 'Events 4–5 are not covered by any trusted signature or anchor; covered: events 1–3 by a trusted signature. The hash chain itself is intact.',
    });
    assert.deepEqual([3, 4, 5].map((s) => rowIntegrity(s, r)), ['verified', 'uncovered', 'uncovered']);
    assert.match(integrityText(4, r), /intact, but no trusted signature or anchor covers it/);

    const bare = AuditStore.open(join(dir, 'bare.db'));
    bare.recordFinding(makeInput({ seed: 1 }));
    bare.close();
    const none = verify({ ...log, db: join(dir, 'bare.db') });
    assert.equal(headline(none).text, 'None of the 2 events is covered by any trusted signature or anchor. The hash chain itself is intact.');
    assert.deepEqual(runs(none), ['uncovered 1-2']);
  });
});

test('a rewrite re-signed with the installation key passes without anchors; the PDF and checkpoint taken before name it and the range', async () => {
  await inTempDir(async (dir) => {
    const log = signedLog(dir, 4);
    const pdf = await pdfOf(log, [log.ids[1]!, log.ids[2]!], 'before.pdf');
    const store = AuditStore.open(log.db, { signingKey: installationKey(installationPaths(log.config)).key });
    const checkpoint = store.writeAnchor(join(dir, 'kept'));
    store.close();
    // Finding 2 (seed 2) was recorded 'uncertain'.
    rewriteDecision(log.db, log.seqs[1]!, 'agree', installationKey(installationPaths(log.config)).key);

    const alone = verify(log);
    assert.equal(alone.verdict, 'verified', 'the signatures alone cannot tell: that is what anchors are for');
    const r = verify(log, [pdf, checkpoint]);
    assert.equal(r.verdict, 'broken', r.summary);
    assert.deepEqual(runs(r), ['signature 1-2', 'broken 3-5']);
    const h = headline(r);
    assert.equal(h.label, 'BROKEN at event 3');
    assert.match(h.text, /before\.pdf: event 3 \(a finding it shows\) no longer has the hash it recorded.*\(2 problems in all, listed below\)$/);
    assert.deepEqual(r.anchors.map(anchorResult), ['rewritten at event 3', 'rewritten at event 5']);
    assert.deepEqual([2, 3, 4].map((s) => rowIntegrity(s, r)), ['verified', 'broken', 'unverifiable']);
    // A listing made after the report that finds the chain itself broken is the newer word; a sound one is not.
    const listed = { ok: false, events: 5, firstBroken: 4, reason: 'edited' };
    assert.equal(rowEvidence(listed, alone), listed);
    assert.equal(rowEvidence({ ...listed, ok: true, firstBroken: null }, r), r);
  });
});

test('a truncation caught by an anchor: the missing events follow the log in the strip and are named', async () => {
  await inTempDir(async (dir) => {
    const log = signedLog(dir, 5);
    const pdf = await pdfOf(log, [log.ids[4]!], 'newest.pdf');
    truncateTo(log.db, 4);
    const r = verify(log, [pdf]);
    assert.equal(r.verdict, 'broken', r.summary);
    assert.deepEqual(runs(r), ['signature 1-4', 'missing 5-6']);
    assert.equal(anchorResult(r.anchors[0]!), 'truncated: events 5–6 missing');
    assert.equal(headline(r).label, 'BROKEN', 'the first break lies past the end of the log');
  });
});

test('replay differences and export answers in words', () => {
  assert.equal(formatDiff(0), '0 (identical)');
  assert.equal(formatDiff(3.04e-7), '3.04e-7');
  // An infinite difference (lengths differ) arrives as null over the host's JSON.
  assert.equal(formatDiff(null), '—');
  assert.equal(formatDiff(Infinity), '—');

  const cancelled = exportNoteFor({ path: null, bytes: 0, cancelled: true }, 'this entry', [4]);
  assert.deepEqual(cancelled, { tone: 'not-saved', text: 'Not saved: the save dialog was closed (this entry).' });
  assert.equal(exportNoteClass(cancelled, true), 'muted bar');
  const nowhere = exportNoteFor({ path: null, bytes: 0, cancelled: false }, 'this entry', [4]);
  assert.equal(nowhere.tone, 'failed');
  assert.doesNotMatch(nowhere.text, /null/);
  assert.equal(exportNoteClass(nowhere, false), 'inline-error');
  const written = exportNoteFor({ path: '/r/candor-report-entries-2-3.pdf', bytes: 918_844, cancelled: false }, 'the 2 ticked findings', [3, 2]);
  assert.deepEqual(written, { tone: 'written', text: 'PDF written: /r/candor-report-entries-2-3.pdf (897 KiB) — the 2 ticked findings, entries #2–#3' });
});
