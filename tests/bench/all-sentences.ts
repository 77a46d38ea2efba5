// `candor explain --all-sentences` on demo-01's 4-sentence report against 4 separate `candor explain`
// calls, one per sentence (each a process that loads the bundle and builds its graphs), NIB, both
// sides, metrics on: wall time of each way, twice, alternating.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitSentences } from '../../native-models/explain/sentences';
import { repoRoot } from '../../electron/version';

const ROOT = repoRoot();
const DEMO = join(ROOT, 'native-models', 'demo');
const REPORT = join(DEMO, 'studies', 'demo-01.report.txt');
const BASE = ['--import', 'tsx', join(ROOT, 'electron', 'cli', 'main.ts'), 'explain', '--model', join(DEMO, 'bundle'), '--image', join(DEMO, 'studies', 'demo-01.png'), '--prefer', 'cpu', '--quiet', '--json', '-'];

function timed(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...BASE, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`candor explain ${args.join(' ')}: ${r.stderr}`);
  return performance.now() - t0;
}

export async function run(): Promise<void> {
  const sentences = splitSentences(readFileSync(REPORT, 'utf8')).map((s) => s.text);
  for (let round = 1; round <= 2; round++) {
    const separate = sentences.reduce((ms, s) => ms + timed(['--text', s]), 0);
    const together = timed(['--report', REPORT, '--all-sentences']);
    console.log(`round ${round}: ${sentences.length} separate calls ${(separate / 1000).toFixed(2)} s · --all-sentences ${(together / 1000).toFixed(2)} s (${(separate / together).toFixed(2)}× faster)`);
  }
}
