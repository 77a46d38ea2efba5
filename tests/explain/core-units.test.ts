// The explainers' shared pieces (native-models/explain/core.ts) against their definitions:
// cosine with torch's eps, the path points x_i = h·i/n in float32, the batching of the steps
// with progress and cancel between batches, repeat, and the seeded Gaussian noise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAbort, cosine, ExplainCancelled, forScaledSteps, gaussian, repeat, rng, scaledCopy } from '../../native-models/explain/core';
import { CancelledError } from '../../native-models/errors';
import { mulberry32 } from '../../native-models/prng';

test('cosine: x·y / (max(‖x‖, 1e-6)·max(‖y‖, 1e-6)), also on slices of longer arrays', () => {
  assert.equal(cosine([3, 4], [4, 3]), 24 / 25);
  assert.equal(cosine([1, 0], [-2, 0]), -1);
  assert.equal(cosine([0, 0], [1, 0]), 0, 'a zero vector: 0, not NaN');
  // Norms below 1e-6 are clamped: (1e-7·1)/(1e-6·1) = 0.1.
  assert.ok(Math.abs(cosine([1e-7, 0], [1, 0]) - 0.1) < 1e-12);
  assert.ok(Math.abs(cosine([1e-7], [1e-7]) - 1e-14 / 1e-12) < 1e-15);
  // Offsets and length: [9, 3, 4, 9] from 1, [0, 0, 4, 3] from 2, 2 elements.
  assert.equal(cosine([9, 3, 4, 9], [0, 0, 4, 3], 1, 2, 2), 24 / 25);
});

test('the path points are h·i/n rounded to float32 as torch computes them, placed at the offset', () => {
  const h = Float32Array.from([0.1, -3, 7.7]);
  const out = new Float32Array(8).fill(-1);
  scaledCopy(h, 2, 3, out, 4);
  assert.deepEqual(Array.from(out.slice(0, 4)), [-1, -1, -1, -1]);
  for (let k = 0; k < 3; k++) assert.equal(out[4 + k], Math.fround(Math.fround(h[k]! * 2) / 3));
  assert.equal(out[7], -1);
  // Rounded after the product, then after the division: for h = 0.1f, i = 7, n = 9 that differs
  // from rounding h·i/n once (0.07777778) or h·(i/n).
  const one = new Float32Array(1);
  scaledCopy(Float32Array.from([0.1]), 7, 9, one, 0);
  assert.equal(one[0], 0.07777777314186096);
});

test('forScaledSteps visits i = 1..n in batches, reports progress after each, and checks cancel before each', async () => {
  const h = Float32Array.from([1, 2]);
  const seen: [number, number, number[]][] = [];
  const progress: number[] = [];
  await forScaledSteps(h, 5, 2, { progress: (f) => progress.push(f) }, async (x, first, b) => {
    seen.push([first, b, Array.from(x)]);
  });
  const pt = (i: number) => [Math.fround(i / 5), Math.fround(Math.fround(2 * i) / 5)];
  assert.deepEqual(seen, [
    [1, 2, [...pt(1), ...pt(2)]],
    [3, 2, [...pt(3), ...pt(4)]],
    [5, 1, pt(5)],
  ]);
  assert.deepEqual(progress, [2 / 5, 4 / 5, 1]);
  // maxBatch below 1 is one step at a time; one batch when it covers all.
  const firsts: number[] = [];
  await forScaledSteps(h, 3, 0, {}, async (_x, first) => void firsts.push(first));
  assert.deepEqual(firsts, [1, 2, 3]);
  const one: number[] = [];
  await forScaledSteps(h, 3, 16, {}, async (_x, first, b) => void one.push(first, b));
  assert.deepEqual(one, [1, 3]);
  // Cancelled after the first batch: no second.
  const ctrl = new AbortController();
  const runs: number[] = [];
  await assert.rejects(
    forScaledSteps(h, 6, 2, { signal: ctrl.signal }, async (_x, first) => {
      runs.push(first);
      ctrl.abort();
    }),
    (e: unknown) => e instanceof ExplainCancelled && e instanceof CancelledError && e.message === 'the explanation was cancelled',
  );
  assert.deepEqual(runs, [1]);
});

test('checkAbort throws only for an aborted signal; repeat tiles a vector', () => {
  assert.doesNotThrow(() => checkAbort(undefined));
  assert.doesNotThrow(() => checkAbort(new AbortController().signal));
  const c = new AbortController();
  c.abort();
  assert.throws(() => checkAbort(c.signal), ExplainCancelled);
  assert.deepEqual(Array.from(repeat(Float32Array.from([1, 2]), 3)), [1, 2, 1, 2, 1, 2]);
  assert.equal(repeat(Float32Array.from([1]), 0).length, 0);
});

test('the noise is Box–Muller over the seeded generator, both values of each pair used', () => {
  assert.equal(rng, mulberry32);
  const u = mulberry32(42);
  const expected: number[] = [];
  for (let k = 0; k < 3; k++) {
    const a = u(), b = u();
    const r = Math.sqrt(-2 * Math.log(a));
    expected.push(r * Math.cos(2 * Math.PI * b), r * Math.sin(2 * Math.PI * b));
  }
  const g = gaussian(mulberry32(42));
  assert.deepEqual(Array.from({ length: 6 }, () => g()), expected);
  // A zero from the generator is skipped (log 0 would be −∞).
  const values = [0, 0.25, 0.5];
  const z = gaussian(() => values.shift() ?? 0.5);
  assert.equal(z(), Math.sqrt(-2 * Math.log(0.25)) * Math.cos(Math.PI));
});
