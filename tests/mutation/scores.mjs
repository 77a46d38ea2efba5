// Mutation scores per file and over all files from a mutation-testing report (Stryker's JSON):
// killed + timed out over killed + timed out + survived + no coverage (compile errors and ignored
// mutants do not count). The targets: at least 80% over all, at least 60% in every file.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TOTAL_TARGET = 80;
export const FILE_TARGET = 60;

function count(mutants) {
  const c = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0 };
  for (const m of mutants) {
    if (m.status === 'Killed') c.killed++;
    else if (m.status === 'Timeout') c.timeout++;
    else if (m.status === 'Survived') c.survived++;
    else if (m.status === 'NoCoverage') c.noCoverage++;
    else if (m.status === 'Ignored') c.ignored++;
    else c.errors++;
  }
  const detected = c.killed + c.timeout;
  const valid = detected + c.survived + c.noCoverage;
  return { ...c, score: valid ? (100 * detected) / valid : 100 };
}

export function checkScores(report, timings = {}) {
  const rows = Object.entries(report.files).map(([file, f]) => ({ file, ...count(f.mutants) })).sort((a, b) => a.file.localeCompare(b.file));
  const all = count(Object.values(report.files).flatMap((f) => f.mutants));
  const line = (name, r) =>
    `${name.padEnd(40)} ${r.score.toFixed(1).padStart(6)}%  killed ${String(r.killed).padStart(4)}  timeout ${String(r.timeout).padStart(3)}  survived ${String(r.survived).padStart(3)}  no cov ${String(r.noCoverage).padStart(3)}  ignored ${String(r.ignored).padStart(3)}  errors ${String(r.errors).padStart(3)}`;
  console.log('\nmutation score per file (target: ≥ 60% each, ≥ 80% in all)');
  for (const r of rows) console.log(line(r.file, r));
  console.log(line('all files', all));
  const groups = Object.entries(timings);
  if (groups.length) console.log(`run time per group: ${groups.map(([g, t]) => `${g} ${Math.floor(t.seconds / 60)}m${String(t.seconds % 60).padStart(2, '0')}s`).join(', ')}`);
  const low = rows.filter((r) => r.score < FILE_TARGET);
  if (low.length) console.error(`below ${FILE_TARGET}%: ${low.map((r) => r.file).join(', ')}`);
  if (all.score < TOTAL_TARGET) console.error(`the score over all files is below ${TOTAL_TARGET}%`);
  return low.length === 0 && all.score >= TOTAL_TARGET;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? 'reports/mutation/mutation.json';
  process.exit(checkScores(JSON.parse(readFileSync(file, 'utf8'))) ? 0 : 1);
}
