/**
 * The audit channels through the app's own dispatch: report:pdf takes no path (the reports folder
 * or the save dialog hook, never over evidence), audit:verify with anchors handed over as paths
 * or bytes, audit:replay on the open scan, anchors every N findings and at exit.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openServices } from './services-harness';
import { parseAnchor } from '../../db/anchors';
import { AuditStore } from '../../db/audit-store';

const DEMO = join(import.meta.dirname, '..', '..', 'native-models', 'demo');
const STUDY = (n: number) => join(DEMO, 'studies', `demo-0${n}.dcm`);
const REPORT = (n: number) => readFileSync(join(DEMO, 'studies', `demo-0${n}.report.txt`), 'utf8').trim();

const saved: { suggested: string[]; answer: string | null } = { suggested: [], answer: null };
const app = openServices(join(DEMO, 'bundle'), { anchorEvery: 2 });
const dialog = openServices(join(DEMO, 'bundle'), {
  chooseSavePath: async (name) => {
    saved.suggested.push(name);
    return saved.answer;
  },
});
after(async () => {
  await app.services.dispose();
  await dialog.services.dispose();
});

async function recordOne(h: typeof app, study: number, method: 'nib' | 'gradcam' = 'nib'): Promise<{ findingId: string; seq: number; scanId: string }> {
  const scan = await h.call('scan:open', { path: STUDY(study) });
  const { jobId } = await h.call('explain:start', { scanId: scan.id, text: REPORT(study), method });
  const state = await h.waitForJob(jobId);
  assert.equal(state.state, 'done', JSON.stringify(state));
  if (state.state !== 'done') throw new Error('not done');
  const f = await h.call('finding:record', { explanationId: state.explanation.id, reviewer: 'Dr. Audit', decision: 'agree' });
  return { findingId: f.findingId, seq: f.seq, scanId: scan.id };
}

function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : [];
}

test('report:pdf refuses a path from the caller and writes nothing; it writes new files in the reports folder', async () => {
  const f = await recordOne(app, 1);
  const db = join(app.dir, 'audit.sqlite');
  const before = listing(app.dir);
  const dbBytes = readFileSync(db);
  for (const outPath of [db, `${db}-wal`, join(app.dir, 'victim.txt')]) {
    const res = await app.dispatch('report:pdf', { findingIds: [f.findingId], outPath });
    assert.equal(res.ok, false);
    if (!res.ok) {
      assert.equal(res.error.code, 'invalid-request');
      assert.match(res.error.message, /Unrecognized key.*outPath/i);
    }
  }
  assert.deepEqual(listing(app.dir), before, 'no file appeared');
  assert.ok(readFileSync(db).equals(dbBytes), 'the database is untouched');

  const first = await app.call('report:pdf', { findingIds: [f.findingId] });
  const second = await app.call('report:pdf', { findingIds: [f.findingId] });
  assert.equal(first.cancelled, false);
  assert.equal(first.path, join(app.dir, 'config', 'reports', `candor-report-entry-${f.seq}.pdf`));
  assert.equal(second.path, join(app.dir, 'config', 'reports', `candor-report-entry-${f.seq}-2.pdf`), 'a second report never replaces the first');
  const [anchor] = parseAnchor(readFileSync(first.path!), 'first.pdf');
  assert.deepEqual(anchor!.entries.map((e) => e.seq), [f.seq]);
  assert.equal(anchor!.seq, f.seq, 'the chain head when printed');
});

test('report:pdf with the save dialog hook: the suggested name, the chosen path, cancel, and a chosen path over the database refused', async () => {
  const f = await recordOne(dialog, 2);
  const target = join(dialog.dir, 'chosen.pdf');
  saved.answer = target;
  const written = await dialog.call('report:pdf', { findingIds: [f.findingId] });
  assert.deepEqual(saved.suggested, [`candor-report-entry-${f.seq}.pdf`]);
  assert.equal(written.path, target);
  assert.equal(readFileSync(target).subarray(0, 5).toString('latin1'), '%PDF-');
  saved.answer = null;
  assert.deepEqual(await dialog.call('report:pdf', { findingIds: [f.findingId] }), { path: null, bytes: 0, cancelled: true });
  const db = join(dialog.dir, 'audit.sqlite');
  for (const evil of [db, `${db}-wal`]) {
    saved.answer = evil;
    const res = await dialog.dispatch('report:pdf', { findingIds: [f.findingId] });
    assert.equal(res.ok, false);
    if (!res.ok) assert.match(res.error.message, /refused, it is the audit database/);
  }
  const v = await dialog.call('audit:verify', { anchors: [] });
  assert.equal(v.ok, true, v.summary);
  assert.equal(v.verdict, 'verified', v.summary);
});

test('audit:verify takes anchors as paths and as bytes and reports coverage; an anchor is written every N findings', async () => {
  await recordOne(app, 3, 'gradcam');
  const anchorsDir = join(app.dir, 'config', 'anchors');
  assert.equal(readdirSync(anchorsDir).length, 1, 'anchorEvery 2: one anchor after two findings');
  const { path } = await app.call('report:pdf', { findingIds: [(await recordOne(app, 4)).findingId] });
  const bytes = new Uint8Array(readFileSync(path!));
  const v = await app.call('audit:verify', { anchors: [{ path: path! }, { name: 'dropped.pdf', bytes }] });
  assert.equal(v.verdict, 'verified', v.summary);
  assert.deepEqual(v.coverage.covered, { from: 1, to: v.events });
  assert.deepEqual(v.anchors.map((a) => [a.source.endsWith('.pdf') ? 'pdf' : a.source, a.kind, a.local, a.ok]), [
    ['pdf', 'pdf', false, true],
    ['pdf', 'pdf', false, true],
    [v.anchors[2]!.source, 'checkpoint', true, true],
  ]);
  assert.equal(v.signers.length, 1);
  assert.equal(v.signers[0]!.trusted, true);
  const bad = await app.dispatch('audit:verify', { anchors: [{ name: 'notes.txt', bytes: new Uint8Array(Buffer.from('hello')) }] });
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.match(bad.error.message, /notes\.txt: not a Candor anchor/);
});

test('audit:replay runs the finding again on the open scan (bit for bit here); a different scan is named', async () => {
  const f = await recordOne(app, 5);
  const same = await app.call('audit:replay', { findingId: f.findingId });
  assert.equal(same.outcome, 'reproduced', same.message);
  assert.equal(same.bitIdentical, true, same.message);
  assert.deepEqual(same.parts.map((p) => p.part), ['similarity', 'imageTokens', 'textTokens', 'map']);
  const other = await app.call('audit:replay', { findingId: f.findingId, scanPath: STUDY(1) });
  assert.equal(other.outcome, 'wrong-scan');
  assert.match(other.message, /scan SHA mismatch/);
  await app.call('scan:close', { scanId: f.scanId });
  const gone = await app.dispatch('audit:replay', { findingId: f.findingId });
  assert.equal(gone.ok, false);
  if (!gone.ok) assert.equal(gone.error.code, 'not-found');
});

test('dispose (the app exit) writes an anchor when the head moved since the last one', async () => {
  const h = openServices(join(DEMO, 'bundle'));
  await recordOne(h, 2, 'gradcam');
  const anchorsDir = join(h.dir, 'config', 'anchors');
  assert.equal(listing(anchorsDir).length, 0, 'fewer than 20 findings: no anchor yet');
  await h.services.dispose();
  const files = listing(anchorsDir);
  assert.equal(files.length, 1);
  const store = AuditStore.open(join(h.dir, 'audit.sqlite'), { readOnly: true });
  const [claim] = parseAnchor(readFileSync(join(anchorsDir, files[0]!)), files[0]!);
  assert.equal(claim!.seq, store.head().seq);
  assert.equal(claim!.headHash, store.head().hash);
  store.close();
});

test('a signing key that cannot be unlocked: recording is refused with the reason, the log stays readable', async () => {
  const xor = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a));
  const kind = 'test-keychain';
  const first = openServices(join(DEMO, 'bundle'), { keyProtection: { kind, protect: xor, unprotect: xor } });
  await recordOne(first, 1, 'gradcam');
  await first.services.dispose();
  // The same folders, the keychain now locked.
  const locked = openServices(join(DEMO, 'bundle'), {
    dbPath: join(first.dir, 'audit.sqlite'),
    configDir: join(first.dir, 'config'),
    keyProtection: { kind, protect: xor, unprotect: () => { throw new Error('the keychain is locked'); } },
  });
  try {
    const scan = await locked.call('scan:open', { path: STUDY(1) });
    const { jobId } = await locked.call('explain:start', { scanId: scan.id, text: REPORT(1), method: 'gradcam' });
    const state = await locked.waitForJob(jobId);
    if (state.state !== 'done') throw new Error(JSON.stringify(state));
    const res = await locked.dispatch('finding:record', { explanationId: state.explanation.id, reviewer: 'Dr. Audit', decision: 'agree' });
    assert.equal(res.ok, false);
    if (!res.ok) {
      assert.equal(res.error.code, 'unavailable');
      assert.match(res.error.message, /findings cannot be recorded: the audit signing key .*signing-key\.test-keychain\.json cannot be unlocked \(test-keychain\): the keychain is locked/);
    }
    const listed = await locked.call('audit:list', {});
    assert.equal(listed.rows.filter((r) => r.findingId).length, 1, 'the earlier finding is listed; nothing was added');
  } finally {
    await locked.services.dispose();
  }
});
