// The app's NIB (nibAttribution and explain(), the code the app and the CLI run) on the PyTorch
// reference cases, with the steps in batches of 1, 7 and 16; and beyond the references' 10 steps
// (20 steps: more than one batch of 16) against the oracle that takes each step on its own.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { explain } from '../../native-models/explain/index';
import { nibAttribution } from '../../native-models/explain/nib';
import { ExplainError, runTailGrad, type Hidden } from '../../native-models/explain/core';
import { nibGradient } from '../../native-models/explain/nib-graph';
import { holdsTailGradient, tailGradient } from '../../native-models/explain/graphs';
import { CASES, MINI, REF, maxAbsDiff, readCase, readPixelsBin, readPng, type RefCase } from '../clip/helpers';
import { assertEvenStepsGiveReference, assertMatchesReference, oracleNib, type OracleNib } from './reference';

const BATCHES = [1, 7, 16];
const LONG = 20;

let bundle: ClipBundle;
before(async () => {
  bundle = await loadClipBundle(MINI, { prefer: 'cpu' });
});
after(async () => {
  await bundle?.dispose();
});

async function nibExplain(c: RefCase, steps: number, batch: number) {
  const e = await explain(bundle, readPng(join(REF, c.image)), c.text, { method: 'nib', layer: c.layer, steps, target: 'both', metrics: false, extra: { batch } });
  assert.equal(e.params.steps, steps);
  assert.equal('batch' in e.params, false, 'the batch size changes nothing and is not recorded');
  return {
    similarity: e.similarity,
    patch: e.image!.tokenScores,
    tokens: e.text!.tokens.map((t) => t.raw),
    map: e.image!.map.values,
    normalizedTokens: e.text!.tokens.map((t) => t.normalized),
  };
}

/** Both towers' streams at the case's layer from the reference pixels, and the embeddings each side holds fixed. */
async function streams(c: RefCase): Promise<{ vision: Hidden; text: Hidden; imageEmbeds: Float32Array; textEmbeds: Float32Array }> {
  const vName = bundle.vision.layerInputs[c.layer];
  const tName = bundle.text.layerInputs[c.layer];
  const v = await bundle.runVision(readPixelsBin(join(REF, c.pixels.file)), 1, [bundle.vision.outputName, vName]);
  const t = await bundle.runText(c.input_ids, [bundle.text.outputName, tName]);
  const hidden = (kind: 'vision' | 'text', x: { data: unknown; dims: readonly number[] }): Hidden => ({ kind, layer: c.layer, h: x.data as Float32Array, T: Number(x.dims[1]), D: Number(x.dims[2]) });
  return {
    vision: hidden('vision', v[vName]),
    text: hidden('text', t[tName]),
    imageEmbeds: v[bundle.vision.outputName].data as Float32Array,
    textEmbeds: t[bundle.text.outputName].data as Float32Array,
  };
}

for (const name of CASES) {
  test(`explain() NIB ${name} matches the PyTorch reference with steps in batches of ${BATCHES.join(', ')}`, async () => {
    const c = readCase(name);
    for (const batch of BATCHES) assertMatchesReference(await nibExplain(c, c.steps, batch), c, `${name} batch ${batch}`);
  });

  test(`nibAttribution ${name}: CLS, patch and token scores and the loss at every step h·i/n match the reference (batches ${BATCHES.join(', ')})`, async () => {
    const c = readCase(name);
    const s = await streams(c);
    const ref = c.float64;
    for (const maxBatch of BATCHES) {
      const v = await nibAttribution(bundle, s.vision, s.textEmbeds, c.steps, null, { maxBatch });
      const tolV = c.tolerances.image_patch_scores_raw_abs as number;
      assert.ok(Math.abs(v.scores[0] - ref.image.cls_score_raw!) <= tolV, `${name} batch ${maxBatch}: CLS ${v.scores[0]} vs ${ref.image.cls_score_raw}`);
      assert.ok(maxAbsDiff(v.scores.slice(1), ref.image.patch_scores_raw) <= tolV, `${name} batch ${maxBatch}: patch scores`);
      assert.equal(v.stepLosses.length, c.steps);
      assert.ok(maxAbsDiff(v.stepLosses, ref.debug.vision_step_losses) <= (c.tolerances.similarity_abs as number), `${name} batch ${maxBatch}: vision step losses ${v.stepLosses} vs ${ref.debug.vision_step_losses}`);
      const t = await nibAttribution(bundle, s.text, s.imageEmbeds, c.steps, c.input_ids, { maxBatch });
      assert.ok(maxAbsDiff(t.scores, ref.text.token_scores_raw) <= (c.tolerances.text_token_scores_raw_abs as number), `${name} batch ${maxBatch}: token scores`);
      assert.ok(maxAbsDiff(t.stepLosses, ref.debug.text_step_losses) <= (c.tolerances.similarity_abs as number), `${name} batch ${maxBatch}: text step losses`);
    }
  });
}

// case03 (layer 1) and case07 (layer 0) have 10 reference steps: their 20-step oracle's even steps are those 10.
const oracles = new Map<string, Promise<OracleNib>>();
const oracle = (c: RefCase): Promise<OracleNib> => {
  if (!oracles.has(c.case)) oracles.set(c.case, oracleNib(c, LONG));
  return oracles.get(c.case)!;
};

for (const name of ['case03', 'case07']) {
  test(`${name}: the ${LONG}-step oracle (each step its own run) agrees with the PyTorch reference on its even steps`, async () => {
    const c = readCase(name);
    assertEvenStepsGiveReference(await oracle(c), c);
  });

  test(`${name}: explain() NIB with ${LONG} steps (> 16) equals the oracle, in batches of ${BATCHES.join(', ')} alike`, async () => {
    const c = readCase(name);
    const o = await oracle(c);
    const runs = [];
    for (const batch of BATCHES) {
      const r = await nibExplain(c, LONG, batch);
      assert.ok(maxAbsDiff(r.patch, o.vision.scores.slice(1)) <= (c.tolerances.image_patch_scores_raw_abs as number), `batch ${batch}: patch scores differ from the oracle by ${maxAbsDiff(r.patch, o.vision.scores.slice(1))}`);
      assert.ok(maxAbsDiff(r.tokens, o.text.scores) <= (c.tolerances.text_token_scores_raw_abs as number), `batch ${batch}: token scores differ from the oracle by ${maxAbsDiff(r.tokens, o.text.scores)}`);
      runs.push(r);
    }
    // The batch size bounds memory only: the same sums up to float32 rounding of the gradients
    // (matrix products of another batch size may block their sums differently). 5e-6 of the largest
    // score: about the float32 rounding of the computation itself (the case's float32 vs float64
    // patch scores: 2.1e-6), 20× below the reference tolerance.
    const scale = (v: ArrayLike<number>): number => Math.max(...Array.from(v, Math.abs));
    for (const r of runs.slice(1)) {
      assert.ok(maxAbsDiff(r.patch, runs[0].patch) <= 5e-6 * scale(runs[0].patch), `patch scores depend on the batch size: ${maxAbsDiff(r.patch, runs[0].patch)}`);
      assert.ok(maxAbsDiff(r.tokens, runs[0].tokens) <= 5e-6 * scale(runs[0].tokens), `token scores depend on the batch size: ${maxAbsDiff(r.tokens, runs[0].tokens)}`);
    }
  });

  test(`${name}: nibAttribution with ${LONG} steps takes every point h·i/${LONG} (its losses are the oracle's)`, async () => {
    const c = readCase(name);
    const o = await oracle(c);
    const s = await streams(c);
    for (const maxBatch of BATCHES) {
      const v = await nibAttribution(bundle, s.vision, s.textEmbeds, LONG, null, { maxBatch });
      assert.equal(v.stepLosses.length, LONG);
      assert.ok(maxAbsDiff(v.stepLosses, o.vision.losses) <= (c.tolerances.similarity_abs as number), `batch ${maxBatch}: ${v.stepLosses} vs ${o.vision.losses}`);
      assert.ok(maxAbsDiff(v.scores, o.vision.scores) <= (c.tolerances.image_patch_scores_raw_abs as number), `batch ${maxBatch}: scores`);
    }
  });
}

test("NIB's folded graph refuses to run without h, the direction it was folded along", async () => {
  const graph = await nibGradient(bundle, 'vision', bundle.visionLayers - 1);
  assert.ok(graph.direction, 'the mini bundle gets the folded graph');
  const T = bundle.vision.tokens, D = bundle.vision.width;
  await assert.rejects(runTailGrad(graph, new Float32Array(T * D), 1, T, D, new Float32Array(bundle.projectionDim), null), (e: unknown) => e instanceof ExplainError && /folded graph needs h/.test(e.message));
});

test('deriving NIB\'s folded graph leaves no plain tail behind and probes the tower once; a plain tail already held for others stays', async () => {
  const fresh = await loadClipBundle(MINI, { prefer: 'cpu' });
  try {
    let visionRuns = 0;
    const runVision = fresh.runVision.bind(fresh);
    fresh.runVision = (px, b, fetch) => {
      visionRuns++;
      return runVision(px, b, fetch);
    };
    const layer = fresh.visionLayers - 2;
    const graph = await nibGradient(fresh, 'vision', layer);
    assert.ok(graph.direction, 'folded');
    assert.equal(holdsTailGradient(fresh, 'vision', layer), false, 'the plain tail it was checked against is released');
    assert.equal(visionRuns, 1, 'one probe run serves the tail and its fold');
    const text = await tailGradient(fresh, 'text', 1);
    const nibText = await nibGradient(fresh, 'text', 1);
    assert.ok(nibText.direction, 'folded');
    assert.ok(holdsTailGradient(fresh, 'text', 1), 'a tail held before stays held');
    const ids = fresh.tokenize('a').ids;
    const D = fresh.text.width;
    const run = await runTailGrad(text, new Float32Array(ids.length * D).fill(0.1), 1, ids.length, D, new Float32Array(fresh.projectionDim).fill(0.1), ids);
    assert.equal(run.grad.length, ids.length * D, 'and stays usable');
  } finally {
    await fresh.dispose();
  }
});
