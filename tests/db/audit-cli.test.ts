import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditStore } from '../../db/audit-store';
import { auditCommand } from '../../electron/cli/commands/audit';
import { pdfInputsFor } from '../../electron/report/finding-report';
import { renderFindingsPdf } from '../../electron/report/pdf';
import { inTempDir, makeInput, tempDir } from './helpers';
import { installationKey } from '../../db/installation-key';
import { installationPaths } from '../../db/installation';

/** Every test's installation folder (key, trust store, anchors) lies in its own temporary folder. */
let configDir = '';
import { FIXTURES } from '../shared-fixtures';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const withConfig = args.length && !args.includes('--config-dir') ? [...args, '--config-dir', configDir] : args;
  const code = await auditCommand(withConfig, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

/** Three findings recorded as the app records them: each head signed with the installation's key. */
function setup(dir: string): { db: string; ids: string[] } {
  configDir = join(dir, 'config');
  const db = join(dir, 'audit.db');
  const store = AuditStore.open(db, { signingKey: installationKey(installationPaths(configDir)).key });
  const ids = [
    store.recordFinding({ ...makeInput({ seed: 1, reviewer: 'alice', method: 'nib' }), note: 'looks fine, "really"' }),
    store.recordFinding({ ...makeInput({ seed: 2, reviewer: 'bob', method: 'gradcam' }), note: '=HYPERLINK("x")' }),
    store.recordFinding(makeInput({ seed: 3, reviewer: 'alice', method: 'rise' })),
  ].map((r) => r.findingId);
  store.close();
  return { db, ids };
}

test('verify: exit 0 on an intact log, 1 with the broken event and reason after tampering, 3 when only triggers are gone', async () => {
  await inTempDir(async (dir) => {
    const { db } = setup(dir);
    const ok = await cli('verify', '--db', db);
    assert.equal(ok.code, 0, ok.err + ok.out);
    assert.match(ok.out, /^Chain: {5}4 events, hash chain intact/);
    assert.match(ok.out, /VERIFIED: the chain is intact and all 4 events are covered by a trusted signature or an anchor\n$/);

    const bare = join(dir, 'bare.db');
    copyFileSync(db, bare);
    let raw = new Database(bare);
    raw.exec('DROP TRIGGER audit_events_no_delete');
    raw.close();
    const warned = await cli('verify', '--db', bare);
    assert.equal(warned.code, 3, warned.out);
    assert.match(warned.out, /protections were removed from this file: audit_events_no_delete/);

    raw = new Database(bare);
    raw.pragma('foreign_keys = OFF');
    raw.exec('DELETE FROM audit_events WHERE seq = 3');
    raw.close();
    const broken = await cli('verify', '--db', bare, '--json');
    assert.equal(broken.code, 1);
    const status = JSON.parse(broken.out) as { ok: boolean; firstBroken: number; reasonCode: string };
    assert.deepEqual([status.ok, status.firstBroken, status.reasonCode], [false, 3, 'deleted']);
    const text = await cli('verify', '--db', bare);
    assert.match(text.out, /BROKEN at event 3 \(deleted\): event 3 was deleted/);
  });
});

test('checkpoint exported, then checked against the file and against another file', async () => {
  await inTempDir(async (dir) => {
    const { db } = setup(dir);
    const cpFile = join(dir, 'cp.json');
    const signed = await cli('checkpoint', '--db', db, '--out', cpFile);
    assert.equal(signed.code, 0, signed.err);
    assert.match(signed.out, /signed the chain head at event 4/);
    const cp = JSON.parse(readFileSync(cpFile, 'utf8')) as { seq: number; headHash: string };
    assert.equal(cp.seq, 4);
    const good = await cli('verify', '--db', db, '--checkpoint', cpFile);
    assert.equal(good.code, 0, good.out);
    assert.match(good.out, /cp\.json \(checkpoint, event 4\): matches/);
    // A different log of the same length (as if rewritten from scratch) does not match the exported head.
    const otherDir = tempDir();
    try {
      const { db: rewritten } = setup(otherDir.dir);
      const bad = await cli('verify', '--db', rewritten, '--anchor', cpFile, '--no-local-anchors');
      assert.equal(bad.code, 1);
      assert.match(bad.out, /cp\.json \(checkpoint, event 4\): DOES NOT MATCH \(other-log\)/);
      assert.match(bad.out, /event 1 differs: it was taken from another log/);
    } finally {
      otherDir.cleanup();
    }
  });
});

test('list, show and export (JSON, CSV, PDF) with filters', async () => {
  await inTempDir(async (dir) => {
    const { db, ids } = setup(dir);
    const list = await cli('list', '--db', db, '--reviewer', 'alice', '--json');
    assert.equal(list.code, 0, list.err);
    assert.deepEqual((JSON.parse(list.out) as { findingId: string }[]).map((r) => r.findingId), [ids[2], ids[0]]);
    const listText = await cli('list', '--db', db, '--method=gradcam');
    assert.match(listText.out, /^1 event\(s\)/);
    assert.match(listText.out, /bob\s+finding\.record\s+\w+ gradcam/);

    const show = await cli('show', '--db', db, '--id', ids[1]);
    assert.match(show.out, /reviewer\s+bob/);
    const showSeq = await cli('show', '--db', db, '--seq', '1');
    assert.equal((JSON.parse(showSeq.out) as { action: string }).action, 'schema.migrate');

    const csv = await cli('export', '--db', db, '--csv');
    const lines = csv.out.trimEnd().split('\r\n');
    assert.equal(lines[0], 'seq,time,actor,action,findingId,study,model,modelSha256,method,similarity,decision,eventHash,note');
    assert.equal(lines.length, 5, 'header + 4 events, oldest first');
    assert.ok(lines[1].startsWith('1,'));
    assert.ok(lines[2].endsWith(',"looks fine, ""really"""'), lines[2]);
    assert.ok(lines[3].endsWith(`,"'=HYPERLINK(""x"")"`), `formula neutralised: ${lines[3]}`);

    const json = await cli('export', '--db', db, '--json', '--from', '2000-01-01', '--study', 'study-2');
    const doc = JSON.parse(json.out) as { chain: { ok: boolean }; rows: { findingId: string; note: string; explanation: { image: { map: { values: number[] } } } }[] };
    assert.equal(doc.chain.ok, true);
    assert.equal(doc.rows.length, 1);
    assert.equal(doc.rows[0].findingId, ids[1]);
    assert.equal(doc.rows[0].explanation.image.map.values.length, 256);

    const pdf = join(dir, 'out.pdf');
    const exp = await cli('export', '--db', db, '--pdf', pdf, '--reviewer', 'alice');
    assert.equal(exp.code, 0, exp.err);
    assert.match(exp.out, /2 finding\(s\)/);
    // The same bytes the app gets for the same findings.
    const store = AuditStore.open(db, { readOnly: true });
    const appPdf = await renderFindingsPdf(await pdfInputsFor(store, [ids[0], ids[2]], { includeIdentifying: false }));
    store.close();
    assert.ok(readFileSync(pdf).equals(appPdf), 'CLI and app PDFs are identical');
  });
});

test('usage and file errors exit 2 with a message naming the problem', async () => {
  await inTempDir(async (dir) => {
    const { db } = setup(dir);
    assert.equal((await cli()).code, 2);
    const noDb = await cli('verify');
    assert.equal(noDb.code, 2);
    assert.match(noDb.err, /--db FILE is required/);
    assert.match((await cli('frobnicate', '--db', db)).err, /unknown audit command 'frobnicate'/);
    assert.match((await cli('list', '--db', db, '--colour')).err, /unknown option --colour/);
    assert.match((await cli('list', '--db', db, '--limit', 'x')).err, /--limit must be a positive whole number/);
    const missing = await cli('verify', '--db', join(dir, 'nope.db'));
    assert.equal(missing.code, 2);
    assert.ok(missing.err.includes(join(dir, 'nope.db')) && /does not exist/.test(missing.err));
    assert.match((await cli('export', '--db', db)).err, /exactly one of --json, --csv, --fhir, --pdf OUT, --dicom OUTDIR/);
    assert.match((await cli('show', '--db', db, '--id', 'zzz')).err, /no finding with id zzz/);
    assert.match((await cli('list', '--db', db, '--from', 'soon')).err, /'soon' is not a date/);
  });
});

test('export --pdf --scan draws the scan exactly as the app does (same bytes)', async () => {
  await inTempDir(async (dir) => {
    const scanFile = join(FIXTURES, 'dicom', 'chest_explicit_le.dcm');
    const { loadScan } = await import('../../electron/imaging/index');
    const { windowedGray } = await import('../../electron/services/report');
    const scan = await loadScan(scanFile);
    const db = join(dir, 'audit.db');
    const store = AuditStore.open(db);
    const input = makeInput({ seed: 3 });
    const preset = scan.summary.windows[0] ?? { center: (scan.summary.valueRange.min + scan.summary.valueRange.max) / 2, width: scan.summary.valueRange.max - scan.summary.valueRange.min };
    input.explanation.params = { ...input.explanation.params, windowCenter: preset.center, windowWidth: preset.width };
    input.scan.sha256 = scan.summary.sha256;
    const rec = store.recordFinding(input);
    const appPdf = await renderFindingsPdf(
      await pdfInputsFor(store, [rec.findingId], {
        includeIdentifying: false,
        loadScanImage: async () => windowedGray(scan.summary, await scan.frame(1), { center: preset.center, width: preset.width }),
      }),
    );
    const mapOnly = await renderFindingsPdf(await pdfInputsFor(store, [rec.findingId], { includeIdentifying: false }));
    store.close();
    const out = join(dir, 'cli.pdf');
    const res = await cli('export', '--db', db, '--pdf', out, '--scan', scanFile);
    assert.equal(res.code, 0, res.err);
    assert.equal(res.err, '', 'every finding found its scan');
    assert.ok(readFileSync(out).equals(appPdf), 'CLI with --scan and the app give the same PDF');
    assert.ok(!appPdf.equals(mapOnly), 'the scan is really drawn');
    const without = await cli('export', '--db', db, '--pdf', join(dir, 'bare.pdf'));
    assert.match(without.err, /1 finding\(s\) printed without their scan/);
    assert.match((await cli('list', '--db', db, '--scan', scanFile)).err, /--scan is for export --pdf/);
  });
});
