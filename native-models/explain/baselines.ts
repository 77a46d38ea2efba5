/**
 * Baselines behind the same interface as NIB (scores per token of the layer-L stream, or a
 * pixel-level map for input-space methods):
 * - M2IB (Wang et al., YingWANGG/M2IB): a per-element bottleneck λ = σ(α) on the stream
 *   entering layer L, t = h·λ + (1−λ)·ε, trained with Adam to maximize cos − β·capacity;
 *   the map is the capacity KL[N(hλ,(1−λ)²) ‖ N(0,1)] summed over the hidden dimension.
 * - Grad-CAM on the layer-L tokens: ReLU(Σ_d h ⊙ ∂cos/∂h).
 * - RISE (Petsiuk et al.): random low-resolution masks, score-weighted average.
 * - Saliency: |∂cos/∂input| (image: max over channels; text: L2 over the embedding).
 * - Integrated gradients on the input (zero baseline, n-step Riemann sum).
 */
import type { ClipBundle } from '../clip/bundle';
import { checkAbort, cosine, forScaledSteps, gaussian, repeat, rng, runTailGrad, tailFor, type Control, type Hidden } from './core';
import { embedScaledTexts, visionInputGradient } from './graphs';
import { upsampleBilinear } from './maps';
import { nibAttribution } from './nib';
import * as ort from 'onnxruntime-node';

/** Its defaults and limits are in methods.ts (METHOD_SPECS.m2ib). */
export type M2ibParams = { beta: number; iterations: number; lr: number; batch: number; seed: number };

/** KL[N(hλ, (1−λ)²) ‖ N(0, 1)] per element, as M2IB's _calc_capacity. */
export function m2ibCapacity(h: number, lam: number, oneMinus: number): number {
  const mu = h * lam;
  const vr = oneMinus * oneMinus;
  return -0.5 * (1 + Math.log(vr) - mu * mu - vr);
}

/**
 * ∂/∂α of the M2IB loss β·mean(capacity) − mean_b cos_b, with t_b = h·λ + (1−λ)·ε_b, λ = σ(α),
 * given grad_b = ∂cos_b/∂t_b from the tail graph.
 */
export function m2ibAlphaGradient(h: ArrayLike<number>, lam: ArrayLike<number>, oneMinus: ArrayLike<number>, eps: ArrayLike<number>, grad: ArrayLike<number>, B: number, beta: number): Float64Array {
  const n = h.length;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let gFit = 0;
    for (let b = 0; b < B; b++) gFit += grad[b * n + k] * (h[k] - eps[b * n + k]);
    const dCap = 1 / oneMinus[k] + h[k] * h[k] * lam[k] - oneMinus[k];
    const dLam = (beta * dCap) / n - gFit / B;
    out[k] = dLam * lam[k] * oneMinus[k];
  }
  return out;
}

export async function m2ibAttribution(bundle: ClipBundle, hidden: Hidden, target: Float32Array, ids: number[] | null, p: M2ibParams, ctl: Control): Promise<Float64Array> {
  const { h, T, D } = hidden;
  const n = T * D;
  const graph = await tailFor(bundle, hidden);
  const alpha = new Float64Array(n).fill(5);
  const m = new Float64Array(n), v = new Float64Array(n);
  const b1 = 0.9, b2 = 0.999, adamEps = 1e-8;
  const normal = gaussian(rng(p.seed));
  const B = p.batch;
  const cap = new Float64Array(n);
  const lam = new Float64Array(n), oneMinus = new Float64Array(n);
  const x = new Float32Array(B * n);
  const eps = new Float32Array(B * n);
  for (let it = 1; it <= p.iterations; it++) {
    checkAbort(ctl.signal);
    for (let k = 0; k < n; k++) {
      const e = Math.exp(-alpha[k]);
      lam[k] = 1 / (1 + e);
      oneMinus[k] = e / (1 + e);
      cap[k] = m2ibCapacity(h[k], lam[k], oneMinus[k]);
    }
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < n; k++) {
        const e = normal();
        eps[b * n + k] = e;
        x[b * n + k] = h[k] * lam[k] + oneMinus[k] * e;
      }
    }
    const { grad } = await runTailGrad(graph, x, B, T, D, target, ids);
    const g = m2ibAlphaGradient(h, lam, oneMinus, eps, grad, B, p.beta);
    for (let k = 0; k < n; k++) {
      m[k] = b1 * m[k] + (1 - b1) * g[k];
      v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k];
      const mh = m[k] / (1 - Math.pow(b1, it));
      const vh = v[k] / (1 - Math.pow(b2, it));
      alpha[k] -= (p.lr * mh) / (Math.sqrt(vh) + adamEps);
    }
    ctl.progress?.(it / p.iterations);
  }
  if (p.iterations < 1) for (let k = 0; k < n; k++) cap[k] = m2ibCapacity(h[k], 1 / (1 + Math.exp(-5)), Math.exp(-5) / (1 + Math.exp(-5)));
  const scores = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0;
    // plain sum: NaN must surface as a warning, not vanish
    for (let d = 0; d < D; d++) s += cap[t * D + d];
    scores[t] = s;
  }
  return scores;
}

export async function gradcamAttribution(bundle: ClipBundle, hidden: Hidden, target: Float32Array, ids: number[] | null, ctl: Control): Promise<Float64Array> {
  const a = await nibAttribution(bundle, hidden, target, 1, ids, { ...ctl, maxBatch: 1 });
  return a.scores.map((s) => Math.max(0, s));
}

/** Image input gradient at `steps` points x·i/n (i = 1..n); returns Σ_i grad_i and the grad at x. */
async function pixelGradients(bundle: ClipBundle, pixelValues: Float32Array, target: Float32Array, steps: number, maxBatch: number, ctl: Control): Promise<{ sum: Float64Array; last: Float32Array }> {
  const graph = await visionInputGradient(bundle);
  const S = bundle.imageSize;
  const n = 3 * S * S;
  const sum = new Float64Array(n);
  let last = new Float32Array(n);
  await forScaledSteps(pixelValues, steps, maxBatch, ctl, async (x, first, b) => {
    const feeds: Record<string, ort.Tensor> = {
      [graph.wrt]: new ort.Tensor('float32', x, [b, 3, S, S]),
      target_embeds: new ort.Tensor('float32', repeat(target, b), [b, target.length]),
    };
    const out = await graph.session.run(feeds, [graph.grad]);
    const g = out[graph.grad].data as Float32Array;
    for (let j = 0; j < b; j++) for (let k = 0; k < n; k++) sum[k] += g[j * n + k];
    if (first + b - 1 === steps) last = g.slice((b - 1) * n, b * n);
  });
  return { sum, last };
}

/** Pixel-level saliency map (model space, S×S): max over channels of |∂cos/∂x|. */
export async function saliencyImage(bundle: ClipBundle, pixelValues: Float32Array, target: Float32Array, ctl: Control): Promise<Float64Array> {
  const { last } = await pixelGradients(bundle, pixelValues, target, 1, 1, ctl);
  const S = bundle.imageSize;
  const out = new Float64Array(S * S);
  for (let p = 0; p < S * S; p++) out[p] = Math.max(Math.abs(last[p]), Math.abs(last[S * S + p]), Math.abs(last[2 * S * S + p]));
  return out;
}

/** Integrated gradients on the pixels (zero baseline = the normalization mean), summed over channels. */
export async function igImage(bundle: ClipBundle, pixelValues: Float32Array, target: Float32Array, steps: number, ctl: Control & { maxBatch: number }): Promise<Float64Array> {
  const { sum } = await pixelGradients(bundle, pixelValues, target, steps, ctl.maxBatch, ctl);
  const S = bundle.imageSize;
  const out = new Float64Array(S * S);
  for (let c = 0; c < 3; c++) for (let p = 0; p < S * S; p++) out[p] += (pixelValues[c * S * S + p] * sum[c * S * S + p]) / steps;
  return out;
}

/** Text saliency: L2 norm of ∂cos/∂(token + position embedding) per token. */
export async function saliencyText(bundle: ClipBundle, hidden0: Hidden, target: Float32Array, ids: number[] | null, ctl: Control): Promise<Float64Array> {
  const graph = await tailFor(bundle, hidden0);
  checkAbort(ctl.signal);
  const { grad } = await runTailGrad(graph, hidden0.h, 1, hidden0.T, hidden0.D, target, ids);
  const out = new Float64Array(hidden0.T);
  for (let t = 0; t < hidden0.T; t++) {
    let s = 0;
    for (let d = 0; d < hidden0.D; d++) s += grad[t * hidden0.D + d] ** 2;
    out[t] = Math.sqrt(s);
  }
  ctl.progress?.(1);
  return out;
}

/** Its defaults and limits are in methods.ts (METHOD_SPECS.rise, one group per side). */
export type RiseParams = { masks: number; cells: number; p: number; seed: number; batch: number };

/** RISE on the image: returns the pixel-level saliency (model space, S×S, before normalization). */
export async function riseImage(bundle: ClipBundle, pixelValues: Float32Array, textEmbeds: Float32Array, p: RiseParams, ctl: Control): Promise<Float64Array> {
  const S = bundle.imageSize;
  const rand = rng(p.seed);
  const cell = Math.ceil(S / p.cells);
  const up = (p.cells + 1) * cell;
  const sal = new Float64Array(S * S);
  const P = bundle.projectionDim;
  for (let first = 0; first < p.masks; first += p.batch) {
    checkAbort(ctl.signal);
    const b = Math.min(p.batch, p.masks - first);
    const masks: Float64Array[] = [];
    const x = new Float32Array(b * 3 * S * S);
    for (let j = 0; j < b; j++) {
      const grid = new Float64Array(p.cells * p.cells);
      for (let k = 0; k < grid.length; k++) grid[k] = rand() < p.p ? 1 : 0;
      const big = upsampleBilinear(grid, p.cells, p.cells, up, up);
      const dy = Math.floor(rand() * cell), dx = Math.floor(rand() * cell);
      const mask = new Float64Array(S * S);
      for (let y = 0; y < S; y++) for (let xx = 0; xx < S; xx++) mask[y * S + xx] = big[(y + dy) * up + xx + dx];
      masks.push(mask);
      for (let c = 0; c < 3; c++) for (let k = 0; k < S * S; k++) x[j * 3 * S * S + c * S * S + k] = pixelValues[c * S * S + k] * mask[k];
    }
    const emb = await bundle.embedImages(x, b);
    for (let j = 0; j < b; j++) {
      const score = cosine(emb, textEmbeds, j * P, 0, P);
      const mask = masks[j];
      for (let k = 0; k < S * S; k++) sal[k] += score * mask[k];
    }
    ctl.progress?.(Math.min(1, (first + b) / p.masks));
  }
  for (let k = 0; k < S * S; k++) sal[k] /= p.masks * p.p;
  return sal;
}

/** RISE on the text: masks over token positions, applied by scaling token embeddings. */
export async function riseText(bundle: ClipBundle, ids: number[], imageEmbeds: Float32Array, p: RiseParams, ctl: Control): Promise<Float64Array> {
  const T = ids.length;
  const rand = rng(p.seed + 1);
  const cell = Math.ceil(T / p.cells);
  const up = (p.cells + 1) * cell;
  const sal = new Float64Array(T);
  const P = bundle.projectionDim;
  for (let first = 0; first < p.masks; first += p.batch) {
    checkAbort(ctl.signal);
    const b = Math.min(p.batch, p.masks - first);
    const scales = new Float32Array(b * T);
    for (let j = 0; j < b; j++) {
      const grid = new Float64Array(p.cells);
      for (let k = 0; k < p.cells; k++) grid[k] = rand() < p.p ? 1 : 0;
      const big = upsampleBilinear(grid, 1, p.cells, 1, up);
      const d = Math.floor(rand() * cell);
      for (let t = 0; t < T; t++) scales[j * T + t] = big[t + d];
    }
    const emb = await embedScaledTexts(bundle, ids, scales, b);
    for (let j = 0; j < b; j++) {
      const score = cosine(emb, imageEmbeds, j * P, 0, P);
      for (let t = 0; t < T; t++) sal[t] += score * scales[j * T + t];
    }
    ctl.progress?.(Math.min(1, (first + b) / p.masks));
  }
  for (let t = 0; t < T; t++) sal[t] /= p.masks * p.p;
  return sal;
}
