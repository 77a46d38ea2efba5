/**
 * `npm run fuzz [-- --cases N --seed S --timeout MS]`: the long fuzz run over the whole DICOM
 * corpus plus PNG/JPEG seeds (default 10,000 cases). Exits non-zero if any case crashed,
 * broke the decoder, or produced an unclear error; prints outcomes per mutation kind.
 */
import { configureDecoder, stopDecoder } from '../../electron/imaging/decoder-pool';
import { DICOM_FIXTURES } from '../imaging/fixtures';
import { fuzz, loadSeeds, type CaseResult } from './harness';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
}

async function main(): Promise<number> {
  const cases = option('cases', 10_000);
  const seed = option('seed', 1);
  const timeoutMs = option('timeout', 10_000);
  configureDecoder({ timeoutMs });
  const seeds = loadSeeds(DICOM_FIXTURES);
  console.log(`fuzz: ${cases} cases over ${seeds.length} seeds, start seed ${seed}, ${timeoutMs} ms per frame`);
  const started = performance.now();
  let peakRss = 0;
  const results = await fuzz(seeds, cases, seed, (r: CaseResult) => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (r.outcome === 'failed') console.log(`FAILED #${r.index} (${r.seed}, ${r.mutation}): ${r.detail}`);
    if ((r.index + 1) % 1000 === 0) console.log(`  ${r.index + 1} cases, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  });
  await stopDecoder();

  const table = new Map<string, Record<CaseResult['outcome'], number>>();
  for (const r of results) {
    const row = table.get(r.mutation) ?? { decoded: 0, refused: 0, timeout: 0, failed: 0 };
    row[r.outcome]++;
    table.set(r.mutation, row);
  }
  console.log('\nmutation     decoded  refused  timeout  failed');
  for (const [m, row] of [...table].sort()) {
    console.log(`${m.padEnd(12)} ${String(row.decoded).padStart(7)}  ${String(row.refused).padStart(7)}  ${String(row.timeout).padStart(7)}  ${String(row.failed).padStart(6)}`);
  }
  const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 3);
  console.log(`\nslowest: ${slowest.map((r) => `#${r.index} ${r.seed} ${r.mutation} ${r.ms.toFixed(0)} ms (${r.outcome})`).join('; ')}`);
  console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB, ${((performance.now() - started) / 1000).toFixed(0)} s in all`);
  const failed = results.filter((r) => r.outcome === 'failed').length;
  const passed = results.length - failed;
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
