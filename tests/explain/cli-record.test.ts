/**
 * `candor explain --db`: everything that can refuse is checked before the finding is recorded
 * (the database, the output paths, the text limits), and an output that fails after recording
 * says that the finding was recorded, with its own exit code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { explainCommand } from '../../electron/cli/commands/explain';
import { auditCommand } from '../../electron/cli/commands/audit';
import { AuditStore } from '../../db/audit-store';

const ROOT = join(import.meta.dirname, '..', '..');
const DEMO = join(ROOT, 'native-models', 'demo');
const SCAN = join(DEMO, 'studies', 'demo-01.dcm');
const REPORT = join(DEMO, 'studies', 'demo-01.report.txt');
const dir = mkdtempSync(join(tmpdir(), 'candor-explain-record-'));
const config = join(dir, 'config');
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function explain(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await explainCommand([...args, '--config-dir', config, '--quiet'], { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

const base = ['--model', join(DEMO, 'bundle'), '--image', SCAN, '--no-metrics'];
const recording = (db: string) => ['--db', db, '--reviewer', 'Dr. CLI', '--decision', 'agree'];

test('--text over the API limit is one line pointing at --report FILE; the process does not crash (it did: SIGSEGV in onnxruntime)', () => {
  const db = join(dir, 'long-text.db');
  const long = 'opacity '.repeat(5000); // 40,000 characters
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'electron', 'cli', 'main.ts'), 'explain', ...base, '--text', long, ...recording(db), '--config-dir', config], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.signal, null);
  assert.equal(run.status, 2, run.stderr);
  const [first] = run.stderr.split('\n');
  assert.equal(first, 'candor explain: --text is 40000 characters; the limit is 20000 (as in the app): give a longer one as a file with --report FILE');
  assert.equal(existsSync(db), false, 'nothing was recorded');
  // Two texts each under the limit can still make the command line too long for onnxruntime.
  const half = 'opacity '.repeat(1800);
  const both = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'electron', 'cli', 'main.ts'), 'explain', ...base, '--text', half, ...recording(db), '--note', half, '--config-dir', config], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(both.signal, null);
  assert.equal(both.status, 2);
  assert.match(both.stderr.split('\n')[0]!, /the command line is \d+ characters long, over the 24000 onnxruntime can take: give the report with --report FILE and the note with --note-file FILE/);
});

test('--db at another application\'s SQLite file: refused before the model runs, the file unchanged', async () => {
  const foreign = join(dir, 'other-app.sqlite');
  const raw = new Database(foreign);
  raw.exec('CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES (\'Ada\')');
  raw.close();
  const bytes = readFileSync(foreign);
  const json = join(dir, 'foreign.json');
  const r = await explain(...base, '--report', REPORT, ...recording(foreign), '--json', json);
  assert.equal(r.code, 1);
  assert.match(r.err, /other-app\.sqlite: is not a Candor audit log: it holds the tables contacts/);
  assert.ok(readFileSync(foreign).equals(bytes));
  assert.equal(existsSync(`${foreign}-wal`), false);
  assert.equal(existsSync(json), false, 'nothing was written either');
});

test('an unusable --pdf path is refused before anything is recorded', async () => {
  const db = join(dir, 'pdf-first.db');
  writeFileSync(join(dir, 'a-file'), 'not a folder');
  const r = await explain(...base, '--report', REPORT, ...recording(db), '--pdf', join(dir, 'a-file', 'out.pdf'));
  assert.equal(r.code, 1);
  assert.match(r.err, /the PDF report .*a-file\/out\.pdf: .*a-file is not a folder/);
  assert.equal(existsSync(db), false, 'the log was not even opened');
  const over = await explain(...base, '--report', REPORT, ...recording(db), '--pdf', `${db}-wal`);
  assert.equal(over.code, 1);
  assert.equal(existsSync(db), false);
});

test('a PDF that fails after the finding was recorded: exit 3, naming the recorded entry; the log verifies', async () => {
  const db = join(dir, 'recorded.db');
  const r = await explain(...base, '--report', REPORT, ...recording(db), '--pdf', '/dev/full');
  assert.equal(r.code, 3, r.err);
  assert.match(r.err, new RegExp(`candor explain: finding recorded as entry #2 \\([0-9a-f-]{36}\\) in ${db.replace(/[.]/g, '\\.')}; the PDF could not be written: ENOSPC`));
  const store = AuditStore.open(db, { readOnly: true });
  assert.equal(store.list({}).filter((row) => row.findingId).length, 1);
  store.close();
  let out = '';
  const code = await auditCommand(['verify', '--db', db, '--config-dir', config], { stdout: (s) => (out += s), stderr: (s) => (out += s) });
  assert.equal(code, 0, out);
  assert.match(out, /VERIFIED: the chain is intact and all 2 events are covered/);
  assert.ok(readdirSync(join(config, 'keys')).includes('signing-key.plain.json'), 'the installation key lives in the config folder');
  assert.equal(readdirSync(dir).some((f) => f.endsWith('.pem')), false, 'no key beside the database');
});
