/**
 * Fuzzing in the suite: a few thousand mutated corpus files (bit flips, truncation, corrupted
 * length fields, inserted/re-tagged elements, extreme pixel attributes). Every case must end
 * in a decoded image or an ImagingError naming the file, within the per-frame time limit, and
 * memory must stay bounded. `npm run fuzz` runs the long version (tests/fuzz/main.ts).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { configureDecoder, stopDecoder } from '../../electron/imaging/decoder-pool';
import { fuzz, loadSeeds } from '../fuzz/harness';
import { DICOM_FIXTURES } from './fixtures';

const CASES = Number(process.env.CANDOR_FUZZ_CASES) || 2000;
const TIME_LIMIT_MS = 3000;

after(async () => {
  await stopDecoder();
});

test(`${CASES} mutated files decode or are refused clearly`, async () => {
  configureDecoder({ timeoutMs: TIME_LIMIT_MS });
  // Small seeds keep the suite fast; the long run in tests/fuzz/main.ts uses the whole corpus.
  const seeds = loadSeeds(DICOM_FIXTURES, { maxBytes: 60_000 });
  assert.ok(seeds.length >= 15, `only ${seeds.length} seeds`);
  let peakRss = 0;
  const results = await fuzz(seeds, CASES, 20260101, () => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  });
  const failed = results.filter((r) => r.outcome === 'failed');
  assert.deepEqual(failed.map((r) => `#${r.index} ${r.seed} ${r.mutation}: ${r.detail}`), []);
  const count = (o: string) => results.filter((r) => r.outcome === o).length;
  // Both outcomes must occur, or the mutations are not reaching the decoders.
  assert.ok(count('decoded') > CASES / 20, `decoded ${count('decoded')}`);
  assert.ok(count('refused') > CASES / 5, `refused ${count('refused')}`);
  // A stopped codec is a clear, bounded outcome, but it must stay rare.
  assert.ok(count('timeout') <= CASES / 100, `timeouts ${count('timeout')}`);
  const slowest = Math.max(...results.map((r) => r.ms));
  assert.ok(slowest < TIME_LIMIT_MS + 5000, `slowest case took ${slowest.toFixed(0)} ms`);
  assert.ok(peakRss < 2 * 2 ** 30, `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
});
