/**
 * LayerNorms of a graph, found by structure: a fused `LayerNormalization` node, or the decomposition
 * torch exports at opset < 17, `Sub(X, ReduceMean(X))` divided by the standard deviation (or
 * multiplied by its reciprocal), then an optional constant scale and bias.
 */
import type { GraphIndex } from '../onnx/graph-index';
import type { NodeProto } from '../onnx/model';

export interface LayerNormSite {
  input: string;
  output: string;
  /** The fused node, or, decomposed, the tensor the centred input is divided by (multiplied with, when `divides` is false). */
  fused: NodeProto | null;
  den: string | null;
  divides: boolean;
  /** The constant added last (the LayerNorm's bias), or null. */
  beta: string | null;
}

const FUSED_NORMS = new Set(['LayerNormalization', 'SimplifiedLayerNormalization']);

export function layerNormSites(index: GraphIndex): LayerNormSite[] {
  const sites: LayerNormSite[] = [];
  for (const n of index.nodes) {
    const ins = n.input ?? [];
    if (FUSED_NORMS.has(n.opType ?? '') && ins[0] && n.output?.[0]) {
      sites.push({ input: ins[0], output: n.output[0], fused: n, den: null, divides: true, beta: n.opType === 'LayerNormalization' ? (ins[2] || null) : null });
    }
    if (n.opType !== 'Sub' || !ins[0] || !ins[1] || !n.output?.[0]) continue;
    const mean = index.producerOf(ins[1]);
    if (mean?.opType !== 'ReduceMean' || mean.input?.[0] !== ins[0]) continue;
    const centered = n.output[0];
    const scaled = index.consumersOf(centered).find((c) => (c.opType === 'Div' || c.opType === 'Mul') && c.input?.[0] === centered && !index.isConstant(c.input?.[1] ?? ''));
    let out = scaled?.output?.[0];
    if (!scaled || !out) continue;
    let beta: string | null = null;
    for (;;) {
      const next = index.consumersOf(out);
      if (next.length !== 1) break;
      const c = next[0];
      const other = (c.input ?? []).find((i) => i !== out);
      if ((c.opType !== 'Mul' && c.opType !== 'Add') || !other || !index.isConstant(other) || !c.output?.[0]) break;
      beta = c.opType === 'Add' ? other : null;
      out = c.output[0];
    }
    sites.push({ input: ins[0], output: out, fused: null, den: scaled.input![1], divides: scaled.opType === 'Div', beta });
  }
  return sites;
}
