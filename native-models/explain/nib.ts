/**
 * NIB (Narrowing Information Bottleneck, arXiv 2502.14889), as in the paper's nib_v / nib_t:
 * for i = 1..n, x_i = h·i/n (h = residual stream entering layer L), g_i = ∂cos(f(x_i), target)/∂x_i;
 * A = Σ_i h ⊙ g_i / n; score per token = Σ_d A[t, d]. The n steps go through NIB's tail+gradient
 * graph (nib-graph.ts) in batches of `maxBatch` (one batch is fastest; smaller ones bound memory).
 */
import type { ClipBundle } from '../clip/bundle';
import { forScaledSteps, runTailGrad, type Control, type Hidden } from './core';
import { nibGradient } from './nib-graph';
import type { Precision } from './types';

export interface TokenAttribution {
  /** Σ_d A[t, d] per token (raw, units of cosine similarity). */
  scores: Float64Array;
  /** cos at x = h·i/n, i = 1..n. */
  stepLosses: number[];
}

export async function nibAttribution(bundle: ClipBundle, hidden: Hidden, target: Float32Array, steps: number, ids: number[] | null, ctl: Control & { maxBatch: number; precision?: Precision }): Promise<TokenAttribution> {
  const { h, T, D } = hidden;
  const graph = await nibGradient(bundle, hidden.kind, hidden.layer, ctl.precision);
  const gsum = new Float64Array(T * D);
  const stepLosses: number[] = [];
  await forScaledSteps(h, steps, ctl.maxBatch, ctl, async (x, _first, b) => {
    const { grad, similarity } = await runTailGrad(graph, x, b, T, D, target, ids, h);
    for (let j = 0; j < b; j++) {
      const off = j * T * D;
      // Stryker disable next-line EqualityOperator: a write one past the end of a Float64Array is ignored
      for (let k = 0; k < T * D; k++) gsum[k] += grad[off + k];
      stepLosses.push(similarity[j]);
    }
  });
  const scores = new Float64Array(T);
  // Stryker disable next-line EqualityOperator: a write one past the end of a Float64Array is ignored
  for (let t = 0; t < T; t++) {
    let s = 0;
    // A plain sum (the paper's nansum would hide them): NaN here must be reported, not drawn.
    for (let d = 0; d < D; d++) s += (h[t * D + d] * gsum[t * D + d]) / steps;
    scores[t] = s;
  }
  return { scores, stepLosses };
}
