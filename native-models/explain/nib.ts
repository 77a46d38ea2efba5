/**
 * NIB (Narrowing Information Bottleneck, arXiv 2502.14889), as in the paper's nib_v / nib_t:
 * for i = 1..n, x_i = h·i/n (h = residual stream entering layer L), g_i = ∂cos(f(x_i), target)/∂x_i;
 * A = Σ_i h ⊙ g_i / n; score per token = Σ_d A[t, d]. All n steps go through the tail+gradient
 * graph as one batch (split into chunks of `maxBatch` only to bound memory).
 */
import type { ClipBundle } from '../clip/bundle';
import { checkAbort, runTailGrad, tailFor, type Control, type Hidden } from './core';

export interface TokenAttribution {
  /** Σ_d A[t, d] per token (raw, units of cosine similarity). */
  scores: Float64Array;
  /** Σ_d |A[t, d]| per token. */
  absSums: Float64Array;
  /** cos at x = h·i/n, i = 1..n. */
  stepLosses: number[];
}

/** x_i = h·i/n in float32, as torch computes `hs * i / n`. */
export function scaledCopy(h: Float32Array, i: number, n: number, out: Float32Array, offset: number): void {
  for (let k = 0; k < h.length; k++) out[offset + k] = Math.fround(Math.fround(h[k] * i) / n);
}

export async function nibAttribution(bundle: ClipBundle, hidden: Hidden, target: Float32Array, steps: number, ids: number[] | null, ctl: Control & { maxBatch?: number }): Promise<TokenAttribution> {
  const { h, T, D } = hidden;
  const graph = await tailFor(bundle, hidden);
  const gsum = new Float64Array(T * D);
  const stepLosses: number[] = [];
  const maxBatch = Math.max(1, ctl.maxBatch ?? 16);
  for (let first = 1; first <= steps; first += maxBatch) {
    checkAbort(ctl.signal);
    const b = Math.min(maxBatch, steps - first + 1);
    const x = new Float32Array(b * T * D);
    for (let j = 0; j < b; j++) scaledCopy(h, first + j, steps, x, j * T * D);
    const { grad, similarity } = await runTailGrad(graph, x, b, T, D, target, ids);
    for (let j = 0; j < b; j++) {
      const off = j * T * D;
      for (let k = 0; k < T * D; k++) gsum[k] += grad[off + k];
      stepLosses.push(similarity[j]);
    }
    ctl.progress?.(Math.min(1, (first + b - 1) / steps));
  }
  const scores = new Float64Array(T);
  const absSums = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0, a = 0;
    for (let d = 0; d < D; d++) {
      const v = (h[t * D + d] * gsum[t * D + d]) / steps;
      // A plain sum (the paper's nansum would hide them): NaN here must be reported, not drawn.
      s += v;
      a += Math.abs(v);
    }
    scores[t] = s;
    absSums[t] = a;
  }
  return { scores, absSums, stepLosses };
}
