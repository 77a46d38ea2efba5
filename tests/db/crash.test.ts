/**
 * Crash safety: a child records findings and is SIGKILLed at random moments, repeatedly, on
 * the same file. After each kill the file opens, integrity_check is ok (AuditStore.open checks
 * it), the chain verifies, every id the child printed (after its commit returned) is there,
 * and nothing is half-written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { AuditStore } from '../../db/audit-store';
import { tempDir } from './helpers';
import { mulberry32 } from '../../native-models/prng';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const KILLS = Number(process.env.CANDOR_CRASH_KILLS ?? 10);
/** The kill delays come from this seed, printed, so a failing run can be repeated (CANDOR_CRASH_SEED=…). */
const SEED = Number(process.env.CANDOR_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 32));
const TSX = import.meta.resolve('tsx');

/**
 * `from: 'ready'` starts the clock when the child has opened the store, so the kill lands in
 * the write loop however slowly a loaded machine starts Node; `from: 'spawn'` covers start-up.
 */
function runAndKill(file: string, start: number, killAfterMs: number, from: 'spawn' | 'ready'): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CHILD, file, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (from === 'ready' && out.startsWith('ready\n')) arm();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    if (from === 'spawn') arm();
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`the writer exited by itself (code ${code}): ${err}`));
      // A line without its newline was cut mid-write: its commit had returned, but keep only whole lines.
      const lines = out.split('\n');
      lines.pop();
      resolve(lines.filter((l) => l !== 'ready'));
    });
  });
}

test(`SIGKILL at random moments (${KILLS} kills, seed ${SEED}): nothing committed is lost, nothing partial remains`, async () => {
  console.log(`# crash test: seed ${SEED} (repeat with CANDOR_CRASH_SEED=${SEED})`);
  const random = mulberry32(SEED);
  const { dir, cleanup } = tempDir('candor-crash-');
  try {
    const file = join(dir, 'audit.db');
    const printed: string[] = [];
    let committedWrites = 0;
    for (let k = 0; k < KILLS; k++) {
      // Every third kill lands anywhere from spawn (start-up, schema creation); the others
      // 10..400 ms into the write loop.
      const from = k % 3 === 0 ? 'spawn' : 'ready';
      const delay = from === 'spawn' ? 250 + Math.floor(random() * 1000) : 10 + Math.floor(random() * 390);
      const ids = await runAndKill(file, printed.length + k * 1000, delay, from);
      printed.push(...ids);
      const store = AuditStore.open(file);
      const v = store.verify();
      assert.equal(v.ok, true, `after kill ${k} at ${delay} ms from ${from} (seed ${SEED}): ${v.reason}`);
      for (const id of printed) assert.equal(store.getFinding(id).findingId, id, `finding ${id} survived`);
      store.close();
      const raw = new Database(file, { readonly: true });
      assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
      const findings = (raw.prepare('SELECT count(*) AS n FROM findings').get() as { n: number }).n;
      const findingEvents = (raw.prepare("SELECT count(*) AS n FROM audit_events WHERE action = 'finding.record'").get() as { n: number }).n;
      const orphanExplanations = (raw.prepare('SELECT count(*) AS n FROM explanations WHERE id NOT IN (SELECT explanation_row FROM findings)').get() as { n: number }).n;
      raw.close();
      assert.equal(findingEvents, findings, 'every finding has its event and no event lacks its finding');
      assert.equal(orphanExplanations, 0, 'no explanation without its finding');
      // At most one commit per kill can have returned without its id reaching us.
      assert.ok(findings >= printed.length && findings <= printed.length + k + 1, `findings ${findings}, printed ${printed.length}`);
      committedWrites = findings;
    }
    assert.ok(printed.length > 0, 'the writer got to write at all');
    console.log(`# crash test: ${KILLS} kills, ${committedWrites} findings committed, ${printed.length} acknowledged`);
  } finally {
    cleanup();
  }
});
