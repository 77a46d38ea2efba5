/** Shared pieces of the explainers: cosine similarity, cancellation, tail+gradient runs. */
import * as ort from 'onnxruntime-node';
import type { ClipBundle } from '../clip/bundle';
import { tailGradient, textFeeds, type GradGraph } from './graphs';
import { mulberry32 } from '../prng';
import { CancelledError, UserInputError } from '../errors';

export class ExplainCancelled extends CancelledError {
  constructor(message = 'the explanation was cancelled') {
    super(message);
  }
}

export class ExplainError extends UserInputError {}

export interface Control {
  signal?: AbortSignal;
  /** fraction in [0, 1] of this piece of work */
  progress?: (fraction: number) => void;
}

export function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ExplainCancelled();
}

/** torch 1.13 CosineSimilarity(eps=1e-6): x·y / (max(‖x‖, eps) · max(‖y‖, eps)). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>, offA = 0, offB = 0, n = a.length): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[offA + i], y = b[offB + i];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / (Math.max(Math.sqrt(na), 1e-6) * Math.max(Math.sqrt(nb), 1e-6));
}

export function repeat(x: Float32Array, times: number): Float32Array {
  const out = new Float32Array(x.length * times);
  for (let i = 0; i < times; i++) out.set(x, i * x.length);
  return out;
}

/** x_i = h·i/n in float32, as torch computes `hs * i / n`. */
export function scaledCopy(h: Float32Array, i: number, n: number, out: Float32Array, offset: number): void {
  for (let k = 0; k < h.length; k++) out[offset + k] = Math.fround(Math.fround(h[k] * i) / n);
}

/**
 * The path integrals' loop (NIB, integrated gradients): calls `run` with the points x_i = h·i/n,
 * i = 1..n, `maxBatch` at a time (x holds the points first..first+b−1 one after the other).
 */
export async function forScaledSteps(h: Float32Array, steps: number, maxBatch: number, ctl: Control, run: (x: Float32Array, first: number, b: number) => Promise<void>): Promise<void> {
  const batch = Math.max(1, maxBatch);
  for (let first = 1; first <= steps; first += batch) {
    checkAbort(ctl.signal);
    const b = Math.min(batch, steps - first + 1);
    const x = new Float32Array(b * h.length);
    // Stryker disable next-line EqualityOperator: one more point would be written past the end of x, which a typed array ignores
    for (let j = 0; j < b; j++) scaledCopy(h, first + j, steps, x, j * h.length);
    await run(x, first, b);
    ctl.progress?.(Math.min(1, (first + b - 1) / steps));
  }
}

/** One batched run of the tail + gradient graph. x is [batch, T, D]; `direction` is h for NIB's folded graph. */
export async function runTailGrad(graph: GradGraph, x: Float32Array, batch: number, T: number, D: number, target: Float32Array, ids: number[] | null, direction?: Float32Array): Promise<{ grad: Float32Array; similarity: Float32Array }> {
  const feeds: Record<string, ort.Tensor> = ids ? textFeeds(graph.session, graph.tower, ids, batch) : {};
  feeds[graph.wrt] = new ort.Tensor('float32', x, [batch, T, D]);
  if (graph.direction) {
    if (!direction) throw new ExplainError(`internal: NIB's folded graph needs h`);
    feeds[graph.direction] = new ort.Tensor('float32', direction, [1, T, D]);
  }
  feeds.target_embeds = new ort.Tensor('float32', repeat(target, batch), [batch, target.length]);
  const out = await graph.session.run(feeds, [graph.grad, graph.similarity]);
  return { grad: out[graph.grad].data as Float32Array, similarity: out[graph.similarity].data as Float32Array };
}

export interface Hidden {
  kind: 'vision' | 'text';
  layer: number;
  /** [T, D] residual stream entering the layer, batch item 0. */
  h: Float32Array;
  T: number;
  D: number;
}

export async function tailFor(bundle: ClipBundle, hidden: Hidden): Promise<GradGraph> {
  return tailGradient(bundle, hidden.kind, hidden.layer);
}

/** Deterministic PRNG, so baselines with noise are reproducible from a seed. */
export const rng = mulberry32;

export function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    // Stryker disable next-line EqualityOperator: the generator yields multiples of 2^-32, never exactly 1e-300
    while (u <= 1e-300) u = rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}
