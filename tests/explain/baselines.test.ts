// Baselines and metrics on mini-clip: checked against the PyTorch reference where it applies
// (Grad-CAM = ReLU of the one-step NIB), finite differences (saliency, M2IB's α-gradient),
// completeness (IG), and exact identities of the metrics.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { preprocess } from '../../native-models/clip/preprocess';
import { m2ibAlphaGradient, m2ibCapacity, saliencyImage, igImage } from '../../native-models/explain/baselines';
import { cosine } from '../../native-models/explain/core';
import { explain, ExplainCancelled } from '../../native-models/explain/index';
import { deletionInsertion, imageConfidence, imageMetrics, textConfidence } from '../../native-models/explain/metrics';
import { METHODS } from '../../electron/api/contract';
import { MINI, REF, readCase, readPng } from '../clip/helpers';

let bundle: ClipBundle;
before(async () => {
  bundle = await loadClipBundle(MINI, { prefer: 'cpu' });
});
after(async () => {
  await bundle?.dispose();
});

test('Grad-CAM at layer L is ReLU of the one-step NIB scores (case05, steps 1, PyTorch reference)', async () => {
  const c = readCase('case05');
  const e = await explain(bundle, readPng(join(REF, c.image)), c.text, { method: 'gradcam', layer: c.layer, target: 'both', metrics: false });
  const tol = c.tolerances.image_patch_scores_raw_abs as number;
  assert.equal(e.image!.tokenScores.length, c.float64.image.patch_scores_raw.length, 'one score per patch of the reference');
  e.image!.tokenScores.forEach((s, i) => assert.ok(Math.abs(s - Math.max(0, c.float64.image.patch_scores_raw[i])) <= tol));
  const ttol = c.tolerances.text_token_scores_raw_abs as number;
  assert.equal(e.text!.tokens.length, c.float64.text.token_scores_raw.length, 'one score per token of the reference');
  e.text!.tokens.forEach((t, i) => assert.ok(Math.abs(t.raw - Math.max(0, c.float64.text.token_scores_raw[i])) <= ttol));
});

async function simAt(px: Float32Array, text: Float32Array): Promise<number> {
  return cosine(await bundle.embedImages(px, 1), text);
}

test('image saliency equals |∂cos/∂pixel| by central finite differences', async () => {
  const c = readCase('case03');
  const { pixelValues } = preprocess(bundle, readPng(join(REF, c.image)));
  const text = await bundle.embedTexts([c.text]);
  const sal = await saliencyImage(bundle, pixelValues, text, {});
  const S = 64;
  const order = Array.from(sal.keys()).sort((a, b) => sal[b] - sal[a]);
  const max = sal[order[0]];
  for (const p of [order[0], order[1], order[500], order[3000]]) {
    let fdMax = 0;
    for (let ch = 0; ch < 3; ch++) {
      const k = ch * S * S + p;
      const d = 0.05;
      const up = pixelValues.slice(); up[k] += d;
      const dn = pixelValues.slice(); dn[k] -= d;
      fdMax = Math.max(fdMax, Math.abs(((await simAt(up, text)) - (await simAt(dn, text))) / (2 * d)));
    }
    assert.ok(Math.abs(fdMax - sal[p]) <= 0.02 * max, `pixel ${p}: gradient ${sal[p]} vs finite difference ${fdMax} (max ${max})`);
  }
});

test('integrated gradients converge to completeness: Σ IG → cos(x) − cos(0)', async () => {
  // On this random model cos(t·x) is steep near t = 0, so the right Riemann sum converges slowly.
  const c = readCase('case01');
  const { pixelValues } = preprocess(bundle, readPng(join(REF, c.image)));
  const text = await bundle.embedTexts([c.text]);
  const delta = (await simAt(pixelValues, text)) - (await simAt(new Float32Array(pixelValues.length), text));
  const err = async (n: number): Promise<number> => Math.abs((await igImage(bundle, pixelValues, text, n, { maxBatch: 8 })).reduce((a, b) => a + b, 0) - delta);
  const e64 = await err(64);
  const e256 = await err(256);
  assert.ok(e256 < e64, `error must shrink with more steps (${e64} → ${e256})`);
  assert.ok(e256 <= 0.1 * Math.abs(delta), `Σ IG off by ${e256} of Δcos ${delta}`);
});

test("M2IB's α-gradient matches finite differences of its loss", () => {
  // Synthetic linear fit term cos_b = Σ_k w_k t_bk (so ∂cos_b/∂t_b = w) keeps the check exact.
  const n = 7, B = 3, beta = 0.3;
  const h = Array.from({ length: n }, (_, k) => Math.sin(k + 1) * 2);
  const w = Array.from({ length: n }, (_, k) => Math.cos(3 * k));
  const eps = Array.from({ length: B * n }, (_, k) => Math.sin(7 * k + 0.5));
  const alpha = Array.from({ length: n }, (_, k) => 0.5 * k - 1);
  const loss = (a: number[]): number => {
    let cap = 0, fit = 0;
    for (let k = 0; k < n; k++) {
      const lam = 1 / (1 + Math.exp(-a[k]));
      cap += m2ibCapacity(h[k], lam, 1 - lam);
      for (let b = 0; b < B; b++) fit += w[k] * (h[k] * lam + (1 - lam) * eps[b * n + k]);
    }
    return (beta * cap) / n - fit / B;
  };
  const lam = alpha.map((a) => 1 / (1 + Math.exp(-a)));
  const grad = Array.from({ length: B * n }, (_, k) => w[k % n]);
  const g = m2ibAlphaGradient(h, lam, lam.map((l) => 1 - l), eps, grad, B, beta);
  for (let k = 0; k < n; k++) {
    const up = [...alpha]; up[k] += 1e-5;
    const dn = [...alpha]; dn[k] -= 1e-5;
    const fd = (loss(up) - loss(dn)) / 2e-5;
    assert.ok(Math.abs(fd - g[k]) <= 1e-6 * Math.max(1, Math.abs(fd)), `α[${k}]: ${g[k]} vs ${fd}`);
  }
});

/** A reference case's pixels, its text's and image's embeddings, and their similarity. */
async function embeddedCase(name: string): Promise<{ c: ReturnType<typeof readCase>; pixelValues: Float32Array; text: Float32Array; img: Float32Array; sim: number }> {
  const c = readCase(name);
  const { pixelValues } = preprocess(bundle, readPng(join(REF, c.image)));
  const text = await bundle.embedTexts([c.text]);
  const img = await bundle.embedImages(pixelValues, 1);
  return { c, pixelValues, text, img, sim: cosine(text, img) };
}

test('metrics: an all-ones map changes nothing; deletion/insertion curves start/end at the similarity', async () => {
  const { c, pixelValues, text, img, sim } = await embeddedCase('case06');
  const ones = new Float64Array(64 * 64).fill(1);
  const ic = await imageConfidence(bundle, pixelValues, ones, text, sim);
  assert.ok(ic.vdrop < 1e-4 && ic.vincr === 0);
  const tk = bundle.tokenize(c.text);
  const tc = await textConfidence(bundle, tk, new Float64Array(tk.ids.length).fill(1), img);
  assert.ok(tc && tc.tdrop === 0 && tc.tincr === 0);
  const ramp = Float64Array.from({ length: 4096 }, (_, i) => i / 4095);
  const di = await deletionInsertion(bundle, pixelValues, ramp, text, 8, {});
  assert.ok(Math.abs(di.deletionCurve[0] - sim) < 1e-5 && Math.abs(di.insertionCurve[8] - sim) < 1e-5);
  assert.ok(Math.abs(di.deletionCurve[8] - di.insertionCurve[0]) < 1e-6, 'both reach the all-zero image');
  const blank = await bundle.embedImages(new Float32Array(pixelValues.length), 1);
  assert.ok(Math.abs(di.insertionCurve[0] - cosine(blank, text)) < 1e-5, 'the all-zero image scored as the tower scores it (the load probe\'s embedding)');
  assert.ok(Math.abs(di.deletionCurve[4] - di.insertionCurve[4]) > 1e-4, 'the inner steps are the two curves\' own images');
});

test('the curves score each step\'s own image, whatever runs they are batched in: every point equals that image embedded alone', async () => {
  const c = readCase('case03');
  const { pixelValues } = preprocess(bundle, readPng(join(REF, c.image)));
  const text = await bundle.embedTexts([c.text]);
  const N = 64 * 64;
  // A map with ties and no order by index, so that the ranking, not the layout, picks the pixels.
  const map = Float64Array.from({ length: N }, (_, i) => Math.round(8 * (1 + Math.sin(i * 0.7) * Math.cos(i * 0.013))) / 16);
  const rank = new Int32Array(N);
  Array.from({ length: N }, (_, i) => i).sort((a, b) => map[b] - map[a] || a - b).forEach((p, r) => (rank[p] = r));
  const K = 16; // 30 inner images: more than one run of this model's tower
  const di = await deletionInsertion(bundle, pixelValues, map, text, K, {});
  for (const [curve, keepTop] of [[di.deletionCurve, false], [di.insertionCurve, true]] as const) {
    assert.equal(curve.length, K + 1);
    for (let k = 1; k < K; k++) {
      const cut = Math.round((k / K) * N);
      const x = new Float32Array(pixelValues.length);
      for (let ch = 0; ch < 3; ch++) for (let p = 0; p < N; p++) if ((rank[p] < cut) === keepTop) x[ch * N + p] = pixelValues[ch * N + p];
      const alone = cosine(await bundle.embedImages(x, 1), text);
      assert.ok(Math.abs(curve[k] - alone) < 1e-5, `${keepTop ? 'insertion' : 'deletion'} step ${k}: ${curve[k]} against ${alone}`);
    }
  }
});

test('the confidence\'s map-weighted image, run in the curves\' batches, scores as that image embedded alone; the curves are unchanged', async () => {
  const { pixelValues, text, img, sim } = await embeddedCase('case05');
  const N = 64 * 64;
  const map = Float64Array.from({ length: N }, (_, i) => (Math.sin(i * 0.37) + 1) / 2);
  const weighted = new Float32Array(pixelValues.length);
  for (let ch = 0; ch < 3; ch++) for (let p = 0; p < N; p++) weighted[ch * N + p] = pixelValues[ch * N + p] * map[p];
  const alone = cosine(await bundle.embedImages(weighted, 1), text);
  const K = 16;
  const both = await imageMetrics(bundle, pixelValues, map, text, sim, K, {}, img);
  assert.ok(Math.abs(both.vdrop - Math.max(0, sim - alone) * 100) < 1e-3, `vdrop ${both.vdrop} against ${Math.max(0, sim - alone) * 100}`);
  assert.equal(both.vincr, alone > sim ? 100 : 0);
  const curves = await deletionInsertion(bundle, pixelValues, map, text, K, {}, img);
  for (let k = 0; k <= K; k++) {
    assert.ok(Math.abs(both.curves!.deletionCurve[k] - curves.deletionCurve[k]) < 1e-5, `deletion step ${k}`);
    assert.ok(Math.abs(both.curves!.insertionCurve[k] - curves.insertionCurve[k]) < 1e-5, `insertion step ${k}`);
  }
});

test('every method explains both sides with finite maps, metrics and monotone progress', async () => {
  const c = readCase('case03');
  const img = readPng(join(REF, c.image));
  for (const method of METHODS) {
    const seen: number[] = [];
    const e = await explain(bundle, img, c.text, { method, layer: 1, steps: 4, target: 'both', onProgress: (f) => seen.push(f), extra: { masks: 50, iterations: 3 } });
    assert.equal(e.method, method);
    assert.equal(e.image!.map.values.length, 64 * 64, `${method}: ${e.warnings.join('; ')}`);
    assert.ok(e.image!.map.values.every((v) => v >= 0 && v <= 1));
    assert.equal(e.image!.tokenScores.length, 64);
    assert.equal(e.text!.tokens.length, c.input_ids.length);
    assert.ok(e.text!.tokens.every((t) => Number.isFinite(t.raw) && t.normalized >= 0 && t.normalized <= 1));
    assert.ok(e.text!.words.length >= 5);
    for (const k of ['vdrop', 'vincr', 'tdrop', 'tincr', 'deletionAuc', 'insertionAuc']) assert.ok(Number.isFinite(e.metrics[k]), `${method} ${k}`);
    assert.ok(seen.every((f, i) => i === 0 || f >= seen[i - 1] - 1e-9), `${method}: progress not monotone ${seen}`);
    assert.equal(seen[seen.length - 1], 1);
  }
});

test('cancellation: an aborted signal stops the work with ExplainCancelled', async () => {
  const c = readCase('case03');
  const img = readPng(join(REF, c.image));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(explain(bundle, img, c.text, { method: 'nib', target: 'both', signal: ac.signal }), ExplainCancelled);
  const ac2 = new AbortController();
  await assert.rejects(
    explain(bundle, img, c.text, { method: 'm2ib', layer: 1, target: 'both', signal: ac2.signal, onProgress: (f, stage) => stage === 'image' && f > 0.1 && ac2.abort() }),
    ExplainCancelled,
  );
});
