// The model-parameter randomisation check (MPRT): its statistics against an independent numpy
// implementation, the layer surgery on real graphs, and the check end to end on the demo model and
// on a copy whose top layer is bypassed (made to fail).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { explain } from '../../native-models/explain/index';
import { spearman, ssim } from '../../native-models/explain/map-similarity';
import { randomizeBetween } from '../../native-models/explain/randomize-layers';
import { randomizedBundle, SANITY_THRESHOLD } from '../../native-models/explain/sanity';
import { tensorValues } from '../../native-models/onnx/tensors';
import { scanImageFromFile } from '../../electron/cli/commands/explain';
import { DEMO_BUNDLE, writeBypassedBundle } from './bypassed-bundle';

const DEMO_01 = fileURLToPath(new URL('../../native-models/demo/studies/demo-01.png', import.meta.url));
const SENTENCE = 'Solitary nodule in the right upper zone.';

let demo: ClipBundle;
before(async () => {
  demo = await loadClipBundle(DEMO_BUNDLE, { prefer: 'cpu' });
});
after(async () => {
  await demo?.dispose();
});

// Spearman by counting (rank = #smaller + (#equal + 1) / 2), SSIM by numpy's sliding windows:
// neither shares code or algorithm with map-similarity.ts.
const NUMPY_REFERENCE = `
import json, sys, numpy as np
from numpy.lib.stride_tricks import sliding_window_view as win
def rank(x):
    return np.array([(x < v).sum() + ((x == v).sum() + 1) / 2 for v in x])
def rho(a, b):
    return float(np.corrcoef(rank(a), rank(b))[0, 1])
def unit(x):
    return (x - x.min()) / (x.max() - x.min())
def ssim(a, b, r, c, w=3):
    x, y = unit(a).reshape(r, c), unit(b).reshape(r, c)
    wr, wc = min(w, r), min(w, c)
    X, Y = win(x, (wr, wc)), win(y, (wr, wc))
    mx, my = X.mean((-1, -2)), Y.mean((-1, -2))
    vx, vy = X.var((-1, -2)), Y.var((-1, -2))
    cxy = ((X - mx[..., None, None]) * (Y - my[..., None, None])).mean((-1, -2))
    C1, C2 = 0.01 ** 2, 0.03 ** 2
    return float((((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx ** 2 + my ** 2 + C1) * (vx + vy + C2))).mean())
out = []
for case in json.load(sys.stdin):
    a, b = np.array(case['a'], float), np.array(case['b'], float)
    out.append([rho(a, b), ssim(a, b, case['rows'], case['cols'])])
print(json.dumps(out))
`;

test('Spearman (ties averaged) and SSIM agree with an independent numpy implementation', () => {
  let s = 7;
  const rand = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const cases = [
    { rows: 12, cols: 12, a: Array.from({ length: 144 }, rand), b: Array.from({ length: 144 }, rand) },
    // ties, and a map correlated with the first
    { rows: 7, cols: 7, a: Array.from({ length: 49 }, (_, i) => Math.floor(i / 5)), b: Array.from({ length: 49 }, (_, i) => Math.floor(i / 5) + ((i * 7) % 3)) },
    { rows: 1, cols: 9, a: [3, 1, 4, 1, 5, 9, 2, 6, 5], b: [2, 7, 1, 8, 2, 8, 1, 8, 2] },
  ];
  const ref = JSON.parse(execFileSync('/usr/bin/python3', ['-c', NUMPY_REFERENCE], { input: JSON.stringify(cases), encoding: 'utf8' })) as [number, number][];
  cases.forEach((c, i) => {
    assert.ok(Math.abs(spearman(c.a, c.b) - ref[i][0]) < 1e-12, `case ${i}: ρ ${spearman(c.a, c.b)} vs numpy ${ref[i][0]}`);
    assert.ok(Math.abs(ssim(c.a, c.b, c.rows, c.cols) - ref[i][1]) < 1e-12, `case ${i}: SSIM ${ssim(c.a, c.b, c.rows, c.cols)} vs numpy ${ref[i][1]}`);
  });
  assert.equal(spearman(cases[0].a, cases[0].a), 1);
  assert.equal(ssim(cases[0].a, cases[0].a, 12, 12), 1);
});

test('re-drawing layers 4–5 changes only their weights, from the seed, and leaves the model it was given as it was', () => {
  const t = demo.vision;
  const before = new Map((t.model.graph?.initializer ?? []).map((x) => [x.name, tensorValues(x)]));
  const a = randomizeBetween(t.model, t.layerInputs[4], t.layerInputs[6], 1);
  const b = randomizeBetween(t.model, t.layerInputs[4], t.layerInputs[6], 1);
  const c = randomizeBetween(t.model, t.layerInputs[4], t.layerInputs[6], 2);
  const top = randomizeBetween(t.model, t.layerInputs[5], t.layerInputs[6], 1);
  assert.ok(a.tensors.length >= 2 * 12, `two layers of weights, biases and norms (got ${a.tensors.length}: ${a.tensors.join(', ')})`);
  assert.equal(top.tensors.length * 2, a.tensors.length, 'each layer has the same weights');
  assert.ok(top.tensors.every((n) => a.tensors.includes(n)));
  const values = (m: typeof a.model, name: string): number[] => tensorValues((m.graph?.initializer ?? []).find((x) => x.name === name)!);
  for (const name of a.tensors) {
    assert.notDeepEqual(values(a.model, name), before.get(name), `${name} re-drawn`);
    assert.deepEqual(values(a.model, name), values(b.model, name), `${name}: the same seed draws the same values`);
    assert.notDeepEqual(values(c.model, name), values(a.model, name), `${name}: another seed draws others`);
  }
  for (const x of t.model.graph?.initializer ?? []) assert.deepEqual(tensorValues(x), before.get(x.name), `${x.name} of the original model untouched`);
  // Layers 0–3, the embeddings, the final LayerNorm and the projection are kept.
  const kept = (t.model.graph?.initializer ?? []).filter((x) => !a.tensors.includes(x.name ?? ''));
  for (const x of kept) assert.deepEqual(values(a.model, x.name ?? ''), before.get(x.name), `${x.name} kept`);
});

test('a randomised copy runs: the stream entering the cut is unchanged, the embedding is not', async () => {
  const image = (await scanImageFromFile(DEMO_01, 1, null)).image;
  const { preprocess } = await import('../../native-models/clip/preprocess');
  const { pixelValues } = preprocess(demo, image);
  const copy = await randomizedBundle(demo, 'vision', 5, 3);
  assert.equal(await randomizedBundle(demo, 'vision', 5, 3), copy, 'built once per model, tower, layer and seed');
  const fetch = [demo.vision.layerInputs[5], demo.vision.outputName];
  const [o, r] = [await demo.runVision(pixelValues, 1, fetch), await copy.runVision(pixelValues, 1, fetch)];
  assert.deepEqual(r[fetch[0]].data, o[fetch[0]].data);
  assert.notDeepEqual(r[fetch[1]].data, o[fetch[1]].data);
});

test('MPRT with nothing re-drawn returns exactly 1 (ρ and SSIM) and so fails the rule', async () => {
  const image = (await scanImageFromFile(DEMO_01, 1, null)).image;
  const e = await explain(demo, image, SENTENCE, { method: 'nib', target: 'both', metrics: false, sanity: { fromLayers: [demo.visionLayers] } });
  for (const side of [e.sanity!.image!, e.sanity!.text!]) {
    assert.deepEqual(side.spearman, [1]);
    assert.deepEqual(side.ssim, [1]);
    assert.equal(side.passed, false);
  }
});

test('MPRT on the demo model: NIB\'s map loses its ranking when the top layer is re-drawn (passes)', async () => {
  const image = (await scanImageFromFile(DEMO_01, 1, null)).image;
  const e = await explain(demo, image, SENTENCE, { method: 'nib', target: 'both', metrics: false, sanity: true });
  const s = e.sanity!.image!;
  assert.deepEqual(s.layers, [5, 4], 'top layer first, down to the explained layer 4');
  assert.equal(s.explainedLayer, e.params.layer);
  assert.ok(s.spearman[0] < SANITY_THRESHOLD && s.spearman[0] < 0.3, `ρ after the top layer: ${s.spearman[0]}`);
  assert.ok(s.ssim.every((v) => v < 0.5), `SSIM ${s.ssim}`);
  assert.equal(s.passed, true);
  assert.equal(e.sanity!.text!.layers.length, 2);
  assert.ok(typeof e.timings.sanityMs === 'number');
});

test('a model whose top layer is bypassed fails the check: its map does not depend on that layer\'s weights', async () => {
  const dir = await writeBypassedBundle([5]);
  const b = await loadClipBundle(dir, { prefer: 'cpu' });
  try {
    const image = (await scanImageFromFile(DEMO_01, 1, null)).image;
    const e = await explain(b, image, SENTENCE, { method: 'nib', target: 'image', metrics: false, sanity: true });
    const s = e.sanity!.image!;
    assert.ok(e.image!.map.width > 0, 'a map is drawn');
    assert.equal(s.spearman[0], 1, 'the top layer re-drawn: the same ranking');
    assert.equal(s.passed, false);
    assert.ok(s.spearman[1] < 0.9, `re-drawing the explained layer 4 too changes the map (ρ ${s.spearman[1]})`);
    assert.equal(e.sanity!.text, null, 'the text side was not explained');
  } finally {
    await b.dispose();
  }
});

test('the check runs on the other families (post-LN BERT text, SigLIP attention pooling): exactly 1 with nothing re-drawn, below it with the top layer re-drawn', async () => {
  const { FAMILY_BUNDLES } = await import('../clip/helpers');
  const image = (await scanImageFromFile(DEMO_01, 1, null)).image;
  for (const dir of Object.values(FAMILY_BUNDLES)) {
    const b = await loadClipBundle(dir, { prefer: 'cpu' });
    try {
      const text = 'Round opacity in the left upper zone with a small effusion.';
      const none = await explain(b, image, text, { method: 'nib', target: 'both', metrics: false, sanity: { fromLayers: [b.visionLayers] } });
      assert.deepEqual(none.sanity!.image!.spearman, [1], dir);
      const t = await explain(b, image, text, { method: 'nib', target: 'text', metrics: false, sanity: { fromLayers: [b.textLayers] } });
      assert.deepEqual(t.sanity!.text!.spearman, [1], dir);
      const top = await explain(b, image, text, { method: 'nib', target: 'both', metrics: false, sanity: true });
      for (const c of [top.sanity!.image!, top.sanity!.text!]) assert.ok(c.spearman[0] < 0.9 && Number.isFinite(c.ssim[0]), `${dir}: ρ ${c.spearman}`);
    } finally {
      await b.dispose();
    }
  }
});
