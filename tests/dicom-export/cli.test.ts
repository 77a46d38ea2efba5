/**
 * The CLI's DICOM export: `candor explain --dicom` (with and without recording), `candor audit
 * export --dicom --scan` (the same bytes for the same finding), and the refusals (no --scan, a
 * scan that does not match, a PNG), each with its exit code and message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { auditCommand } from '../../electron/cli/commands/audit';
import { explainCommand } from '../../electron/cli/commands/explain';
import { DEMO_BUNDLE, DEMO_SCAN, DEMO_SENTENCE, DEMO_STUDIES, assertValid } from './helpers';
import { testTempDir } from '../temp-dir';

const dir = testTempDir('candor-dicom-cli-');
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function run(command: typeof explainCommand, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await command(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const explainArgs = (image: string) => ['--model', DEMO_BUNDLE, '--image', image, '--text', DEMO_SENTENCE, '--quiet'];

test('candor explain --dicom OUTDIR writes the explanation\'s four objects', async () => {
  const out = join(dir, 'explained');
  const r = await run(explainCommand, [...explainArgs(DEMO_SCAN), '--dicom', out]);
  assert.equal(r.code, 0, r.stderr);
  const names = readdirSync(out).sort();
  assert.equal(names.length, 4);
  assert.ok(names.every((n) => /^candor-explanation-[0-9a-f]{8}-(pm|seg|sc|sr)\.dcm$/.test(n)), names.join(' '));
  assert.match(r.stderr, /wrote 4 DICOM object\(s\) to .*explained: candor-explanation-\w+-pm\.dcm, .*-seg\.dcm, .*-sc\.dcm, .*-sr\.dcm/);
  for (const n of names) assertValid(join(out, n));
});

test('a finding recorded by candor explain --db --dicom and exported by candor audit export --dicom: the same bytes', async () => {
  const db = join(dir, 'audit.sqlite');
  const first = join(dir, 'recorded');
  const r = await run(explainCommand, [...explainArgs(DEMO_SCAN), '--db', db, '--reviewer', 'Dr Ann Smith', '--decision', 'disagree', '--note', 'too wide', '--dicom', first]);
  assert.equal(r.code, 0, r.stderr);
  const again = join(dir, 'exported');
  const e = await run(auditCommand, ['export', '--db', db, '--dicom', again, '--scan', join(DEMO_STUDIES, 'demo-02.dcm'), '--scan', DEMO_SCAN]);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /wrote 4 DICOM object\(s\) for 1 finding\(s\) to /);
  const names = readdirSync(first).sort();
  const seq = /recorded finding \S+ as audit event (\d+)/.exec(r.stderr)?.[1];
  assert.deepEqual(names, ['pm', 'sc', 'seg', 'sr'].map((k) => `candor-finding-${seq}-${k}.dcm`));
  assert.deepEqual(readdirSync(again).sort(), names);
  for (const n of names) assert.ok(readFileSync(join(first, n)).equals(readFileSync(join(again, n))), `${n}: byte for byte`);

  const noScan = await run(auditCommand, ['export', '--db', db, '--dicom', join(dir, 'none')]);
  assert.equal(noScan.code, 2);
  assert.match(noScan.stderr, /DICOM objects need the scan file\(s\) the findings were made on: give them with --scan FILE/);
  const wrongScan = await run(auditCommand, ['export', '--db', db, '--dicom', join(dir, 'none'), '--scan', join(DEMO_STUDIES, 'demo-03.dcm')]);
  assert.equal(wrongScan.code, 2);
  assert.match(wrongScan.stderr, /nothing written: finding entry #\d+: its scan \(SHA-256 [0-9a-f]{12}…\) is not among the --scan files/);
  assert.equal(existsSync(join(dir, 'none')), false);
  const twoFormats = await run(auditCommand, ['export', '--db', db, '--dicom', join(dir, 'none'), '--csv']);
  assert.equal(twoFormats.code, 2);
  assert.match(twoFormats.stderr, /exactly one of --json, --csv, --fhir, --pdf OUT, --dicom OUTDIR/);
});

test('candor explain --dicom on a PNG is refused before the model runs, naming the file; nothing is written', async () => {
  const png = join(DEMO_STUDIES, 'demo-01.png');
  const out = join(dir, 'png');
  // A model folder that does not exist: the refusal must come first.
  const r = await run(explainCommand, ['--model', join(dir, 'no-model'), '--image', png, '--text', DEMO_SENTENCE, '--dicom', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${png.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: is a PNG image, not DICOM: DICOM results must reference the source instance and join its patient's study`));
  assert.equal(existsSync(out), false);
});
