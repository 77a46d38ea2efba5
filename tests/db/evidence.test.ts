/**
 * The attacks the audit log must expose, performed as an insider with write access to the file
 * would (tests/db/attacks.ts), checked through `candor audit verify` exactly as an auditor runs it:
 * a rewrite re-signed with a new key, the same rewrite signed with the installation's own key,
 * truncation; then which of them need an anchor kept outside the file, and that one suffices.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { AuditStore } from '../../db/audit-store';
import { auditCommand } from '../../electron/cli/commands/audit';
import { installationKey } from '../../db/installation-key';
import { installationPaths } from '../../db/installation';
import { keyFingerprint, LEGACY_KEY_FILE_NAME, publicKeyOf, shortFingerprint } from '../../db/signing';
import { writeFindingsPdf } from '../../electron/services/report';
import { protectedPaths } from '../../db/file-guard';
import { TrustStore } from '../../db/trust';
import { inTempDir, makeInput } from './helpers';
import { rewriteDecision, truncateTo } from './attacks';

interface Log {
  dir: string;
  db: string;
  config: string;
  /** seq of each finding, oldest first. */
  findings: { id: string; seq: number }[];
  checkpointEventSeq: number;
}

/** migrate + 3 findings + a checkpoint event + 3 findings = 8 events, every head signed by the installation's key. */
function recordLog(dir: string, opts: { checkpoint?: boolean; config?: string } = {}): Log {
  const config = opts.config ?? join(dir, 'config');
  const db = join(dir, 'audit.db');
  const store = AuditStore.open(db, { signingKey: installationKey(installationPaths(config)).key });
  const findings = [1, 2, 3].map((seed) => store.recordFinding(makeInput({ seed })));
  if (opts.checkpoint !== false) store.signCheckpoint();
  const checkpointEventSeq = store.head().seq;
  findings.push(...[4, 5, 6].map((seed) => store.recordFinding(makeInput({ seed }))));
  store.close();
  return { dir, db, config, findings: findings.map((f) => ({ id: f.findingId, seq: f.seq })), checkpointEventSeq };
}

async function audit(log: Log, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await auditCommand([...args, '--config-dir', log.config], { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

const verify = (log: Log, ...more: string[]) => audit(log, 'verify', '--db', log.db, ...more);

/** A checkpoint file and a PDF report of `findingSeq`, taken now (what an auditor keeps outside). */
async function takeAnchors(log: Log, findingSeq: number): Promise<{ checkpoint: string; pdf: string }> {
  const checkpoint = join(log.dir, 'kept-checkpoint.json');
  const cp = await audit(log, 'checkpoint', '--db', log.db, '--out', checkpoint);
  assert.equal(cp.code, 0, cp.err);
  const pdf = join(log.dir, 'kept-report.pdf');
  const store = AuditStore.open(log.db, { readOnly: true });
  const finding = log.findings.find((f) => f.seq === findingSeq)!;
  await writeFindingsPdf(store, [finding.id], { outPath: pdf, guard: protectedPaths({ databases: [log.db] }) });
  store.close();
  return { checkpoint, pdf };
}

test('the untouched log verifies: every event covered by the installation key, exit 0', async () => {
  await inTempDir(async (dir) => {
    const log = recordLog(dir);
    const v = await verify(log, '--json');
    assert.equal(v.code, 0, v.out);
    const report = JSON.parse(v.out) as { verdict: string; coverage: { covered: { from: number; to: number }; uncovered: null }; signers: { trusted: boolean; signatures: number }[] };
    assert.equal(report.verdict, 'verified');
    assert.deepEqual(report.coverage.covered, { from: 1, to: 8 });
    assert.equal(report.coverage.uncovered, null);
    assert.deepEqual(report.signers.map((s) => [s.trusted, s.signatures]), [[true, 8]], '7 head signatures (6 findings + the checkpoint event) and 1 checkpoint');
  });
});

test('a full rewrite re-signed with a brand-new key is a named break without any flag (and with the signatures deleted, not covered)', async () => {
  await inTempDir(async (dir) => {
    const log = recordLog(dir);
    const before = readFileSync(log.db);
    const mallory = generateKeyPairSync('ed25519').privateKey;
    const target = log.findings[1]!;
    rewriteDecision(log.db, target.seq, 'disagree', mallory);
    assert.notDeepEqual(readFileSync(log.db), before);
    const v = await verify(log);
    assert.equal(v.code, 1, v.out);
    const fp = shortFingerprint(keyFingerprint(publicKeyOf(mallory)));
    // One line per key: the newest signature it made, how many more, the key's fingerprint.
    assert.match(v.out, new RegExp(`Problem: {3}event 8: \\(untrusted-key\\) the head signature over event 8 \\(and 7 more\\) is signed by key ${fp}, which is not pinned`));
    assert.match(v.out, new RegExp(`Signers: {3}key ${fp} NOT PINNED: 8 signature\\(s\\), newest over event 8`));
    assert.match(v.out, /^BROKEN at event 8 \(untrusted-key\)/m);
    // The chain itself is consistent: only the key gives it away.
    assert.match(v.out, /^Chain: {5}8 events, hash chain intact/);

    // Deleting every signature instead (a log without checkpoint events) leaves nothing vouching for it: not a pass either.
    const second = recordLog(mkdtempSync(join(dir, 'second-')), { checkpoint: false, config: log.config });
    rewriteDecision(second.db, second.findings[1]!.seq, 'disagree', null);
    const bare = await verify(second, '--no-local-anchors');
    assert.equal(bare.code, 4, bare.out);
    assert.match(bare.out, /NOT COVERED: the chain is intact, but 7 of 7 events \(events 1\.\.7\) have no trusted signature or anchor/);
  });
});

test('the same rewrite signed with the installation\'s own key: caught by a checkpoint file and by a PDF report taken before', async () => {
  await inTempDir(async (dir) => {
    const log = recordLog(dir);
    const target = log.findings[1]!;
    const kept = await takeAnchors(log, target.seq);
    const own = installationKey(installationPaths(log.config)).key;
    rewriteDecision(log.db, target.seq, 'disagree', own);

    // The file alone cannot tell: whoever holds the key can re-sign (README, "What the audit log proves").
    const alone = await verify(log, '--no-local-anchors');
    assert.equal(alone.code, 0, alone.out);

    // The checkpoint signed the head at 8 (then recorded itself as event 9).
    const byCheckpoint = await verify(log, '--no-local-anchors', '--anchor', kept.checkpoint);
    assert.equal(byCheckpoint.code, 1, byCheckpoint.out);
    assert.match(byCheckpoint.out, /kept-checkpoint\.json: event 8 \(the chain head it remembers\) no longer has the hash it recorded; the log was rewritten at or before event 8/);

    const byPdf = await verify(log, '--no-local-anchors', '--anchor', kept.pdf);
    assert.equal(byPdf.code, 1, byPdf.out);
    assert.match(byPdf.out, new RegExp(`kept-report\\.pdf: event ${target.seq} \\(a finding it shows\\) no longer has the hash it recorded`));
    assert.match(byPdf.out, new RegExp(`^BROKEN at event ${target.seq} \\(rewritten\\)`, 'm'));

    // The anchors folder (written by `checkpoint` above) catches it too, with no --anchor at all.
    const byFolder = await verify(log);
    assert.equal(byFolder.code, 1, byFolder.out);
    assert.match(byFolder.out, /\(anchors folder\) .*candor-anchor-[0-9a-f]{16}-0000000008\.json \(checkpoint, event 8\): DOES NOT MATCH \(rewritten\)/);
  });
});

test('truncation: a valid prefix alone passes; a checkpoint file or a PDF taken before names the missing range', async () => {
  await inTempDir(async (dir) => {
    const log = recordLog(dir);
    const last = log.findings.at(-1)!;
    const kept = await takeAnchors(log, last.seq); // checkpoint over event 8 (into the anchors folder too), its event 9; the PDF's head is 9
    truncateTo(log.db, 6);

    const alone = await verify(log, '--no-local-anchors');
    assert.equal(alone.code, 0, `the prefix is consistent and signed: ${alone.out}`);

    const byCheckpoint = await verify(log, '--no-local-anchors', '--anchor', kept.checkpoint);
    assert.equal(byCheckpoint.code, 1, byCheckpoint.out);
    assert.match(byCheckpoint.out, /events 7\.\.8 are missing: the anchor .*kept-checkpoint\.json records event 8, the log ends at 6 \(it was truncated\)/);

    const byPdf = await verify(log, '--no-local-anchors', '--anchor', kept.pdf, '--json');
    assert.equal(byPdf.code, 1);
    const report = JSON.parse(byPdf.out) as { verdict: string; breaks: { code: string; missing: { from: number; to: number } }[] };
    assert.equal(report.verdict, 'broken');
    assert.deepEqual(report.breaks.map((b) => [b.code, b.missing]), [['truncated', { from: 7, to: 9 }]], 'the PDF remembers the head at 9');

    const byFolder = await verify(log);
    assert.equal(byFolder.code, 1, byFolder.out);
    assert.match(byFolder.out, /\(truncated\) events 7\.\.8 are missing: the anchor .*anchors\/candor-anchor-[0-9a-f]{16}-0000000008\.json records event 8/);
  });
});

test('a key kept beside the database by older releases: reported as not pinned, with the way to pin it; pinned, the log verifies', async () => {
  await inTempDir(async (dir) => {
    const config = join(dir, 'config');
    const db = join(dir, 'audit.db');
    const old = generateKeyPairSync('ed25519').privateKey;
    writeFileSync(join(dir, LEGACY_KEY_FILE_NAME), old.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const store = AuditStore.open(db, { signingKey: old });
    store.recordFinding(makeInput({ seed: 1 }));
    store.signCheckpoint();
    store.close();
    const log: Log = { dir, db, config, findings: [], checkpointEventSeq: 3 };
    const v = await verify(log);
    assert.equal(v.code, 1);
    assert.match(v.out, /it is the key kept beside the database by releases before schema 6 .*candor-audit-ed25519\.pem\): if you trust it, pin it with candor audit key --trust that file/);
    const pinned = await audit(log, 'key', '--trust', join(dir, LEGACY_KEY_FILE_NAME));
    assert.equal(pinned.code, 0, pinned.err);
    assert.match(pinned.out, new RegExp(`pinned: key ${keyFingerprint(publicKeyOf(old))}`));
    const after = await verify(log);
    assert.equal(after.code, 0, after.out);

    // An auditor elsewhere trusts only the keys handed to them: --trust replaces the store.
    const exported = join(dir, 'keys.pem');
    assert.equal((await audit(log, 'key', '--export', exported)).code, 0);
    assert.equal(TrustStore.fromPemFiles([exported]).keys.length, 2, "the installation's key and the pinned old one");
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' });
    writeFileSync(join(dir, 'other.pem'), other);
    const wrongTrust = await verify(log, '--trust', join(dir, 'other.pem'));
    assert.equal(wrongTrust.code, 1);
    assert.match(wrongTrust.out, /is signed by key .*, which is not pinned \(trusted keys: .*other\.pem\)/);
    assert.equal((await verify(log, '--trust', exported)).code, 0);
  });
});
