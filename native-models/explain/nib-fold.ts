/**
 * NIB's cut layer with its Q/K/V projections computed once instead of once per step.
 *
 * NIB runs the tail at x_i = h·i/n and keeps, per token t, only h(t)·∂f/∂x(t) (the score is
 * Σ_d h ⊙ Σ_i g_i). Along that path the projections are cheap: with X the tensor they read,
 *
 * - post-LN (BERT): X = x = α·h, so X·W = α ⊙ (h·W), with α(t) = x(t)·h(t) / h(t)·h(t);
 * - pre-LN: X = LN(x), and LN(α·h) − β = k ⊙ (LN(h) − β) with k(t) = α·s(h)/s(α·h), s the
 *   LayerNorm's standard deviation (√(var + ε)) and β its bias, so X·W = k ⊙ (LN(h)·W − β·W) + β·W.
 *
 * h·W and LN(h)·W are one batch-1 product each, whatever the number of steps. The rewritten graph
 * takes h as an extra input (NIB_DIRECTION) and expresses X through α(x): its value is exact, and its
 * derivative is exact along h (moving x along h(t) stays on the path), which is all NIB reads; the
 * components of ∂f/∂x across h that pass through the projections are dropped. So the graph serves NIB
 * (and Grad-CAM, NIB with one step) only; the caller checks its scores against the plain tail.
 */
import { GraphBuilder } from '../onnx/builder';
import { GraphIndex } from '../onnx/graph-index';
import { modelLabel, setModelLabel, type ModelProto, type NodeProto } from '../onnx/model';
import { extractSubgraph, floatInput, modelFloatType } from '../onnx/surgery';
import { attrFloat, attrInt } from '../onnx/tensors';
import { layerNormSites, type LayerNormSite } from '../clip/layernorm';

export const NIB_DIRECTION = 'nib_direction';

export type Fold = { model: ModelProto | null; reason: string | null };

function projectionsOf(index: GraphIndex, t: string): NodeProto[] {
  return index.consumersOf(t).filter((n) => n.opType === 'MatMul' && n.input?.[0] === t && index.initializers.has(n.input?.[1] ?? ''));
}

/** The nodes computing `to` from `from` (both excluded), in graph order. */
function between(index: GraphIndex, from: string, to: string): NodeProto[] {
  const reach = index.dataClosure(from);
  const need = new Set<string>();
  const stack = [to];
  while (stack.length) {
    const t = stack.pop() as string;
    if (need.has(t) || t === from || !reach.has(t)) continue;
    need.add(t);
    for (const i of index.producerOf(t)?.input ?? []) stack.push(i);
  }
  return index.nodes.filter((n) => (n.output ?? []).some((o) => need.has(o)));
}

/** √(var + ε) over the last axis, for a fused LayerNormalization (its own is not a tensor of the graph). */
function stdOf(b: GraphBuilder, t: string, eps: number, dtype: number): string {
  const d = b.op1('Sub', [t, b.op1('ReduceMean', [t], { axes: [-1] })]);
  const v = b.op1('ReduceMean', [b.op1('Mul', [d, d])], { axes: [-1] });
  return b.op1('Sqrt', [b.op1('Add', [v, b.scalar(dtype, eps)])]);
}

/**
 * `model` is the tail whose graph input `x` is the hidden state at the cut; returns it with the
 * projections of the cut layer folded, and NIB_DIRECTION ([1, tokens, width]) as a new input.
 */
export function foldCutLayer(model: ModelProto, x: string): Fold {
  const g = model.graph;
  if (!g) return { model: null, reason: 'no graph' };
  const index = new GraphIndex(g);
  const site: LayerNormSite | undefined = layerNormSites(index).find((s) => s.input === x);
  const viaNorm = site ? projectionsOf(index, site.output) : [];
  const direct = projectionsOf(index, x);
  const projections = viaNorm.length ? viaNorm : direct;
  if (projections.length === 0) return { model: null, reason: 'no projection reads the cut tensor or its LayerNorm' };
  if (viaNorm.length && site?.fused && (site.fused.opType !== 'LayerNormalization' || attrInt(site.fused, 'axis', -1) !== -1)) {
    return { model: null, reason: `${site.fused.opType} over axis ${attrInt(site.fused, 'axis', -1)}` };
  }
  const dtype = modelFloatType(model);
  const graph = { ...g, node: [...(g.node ?? [])], initializer: [...(g.initializer ?? [])], input: [...(g.input ?? []), floatInput(NIB_DIRECTION, dtype)] };
  const b = new GraphBuilder(graph, 'nib/');
  const h = NIB_DIRECTION;
  const sumLast = (t: string): string => b.op1('ReduceSum', [t, b.ints([-1])], { keepdims: 1 });
  const alpha = b.op1('Div', [sumLast(b.op1('Mul', [x, h])), sumLast(b.op1('Mul', [h, h]))]);
  let x0 = h;
  let k = alpha;
  let beta: string | null = null;
  if (viaNorm.length && site) {
    beta = site.beta;
    if (site.fused) {
      const clone = b.op1(site.fused.opType!, [h, ...(site.fused.input ?? []).slice(1)]);
      b.nodes[b.nodes.length - 1].attribute = [...(site.fused.attribute ?? [])];
      x0 = clone;
      const eps = attrFloat(site.fused, 'epsilon', 1e-5);
      k = b.op1('Mul', [alpha, b.op1('Div', [stdOf(b, h, eps, dtype), stdOf(b, x, eps, dtype)])]);
    } else {
      // LN(h): the LayerNorm's own nodes again, on h.
      const renamed = new Map<string, string>([[x, h]]);
      for (const n of between(index, x, site.output)) {
        const outs = (n.output ?? []).map((o) => {
          const r = b.fresh('ln_h');
          renamed.set(o, r);
          return r;
        });
        b.op(n.opType!, (n.input ?? []).map((i) => renamed.get(i) ?? i), {}, outs);
        b.nodes[b.nodes.length - 1].attribute = [...(n.attribute ?? [])];
      }
      x0 = renamed.get(site.output) as string;
      const den1 = renamed.get(site.den as string);
      if (!den1) return { model: null, reason: 'the LayerNorm divisor does not depend on its input' };
      const ratio = site.divides ? b.op1('Div', [den1, site.den as string]) : b.op1('Div', [site.den as string, den1]);
      k = b.op1('Mul', [alpha, ratio]);
    }
  }
  const replaced = new Map<string, string>();
  for (const m of projections) {
    const w = m.input![1];
    const p0 = b.op1('MatMul', [x0, w]);
    let y: string;
    if (beta) {
      const bw = b.op1('MatMul', [b.op1('Reshape', [beta, b.ints([1, -1])]), w]);
      y = b.op1('Add', [b.op1('Mul', [k, b.op1('Sub', [p0, bw])]), bw]);
    } else y = b.op1('Mul', [k, p0]);
    replaced.set(m.output![0], y);
  }
  const fresh = new Set(b.nodes);
  const dropped = new Set(projections);
  const old = graph.node.filter((n) => !fresh.has(n) && !dropped.has(n)).map((n) => ((n.input ?? []).some((i) => replaced.has(i)) ? { ...n, input: n.input!.map((i) => replaced.get(i) ?? i) } : n));
  // The new nodes read x, h and (decomposed) the LayerNorm's divisor: they go before the first reader of a projection.
  const firstReader = old.findIndex((n) => (n.input ?? []).some((i) => [...replaced.values()].includes(i)));
  graph.node = [...old.slice(0, firstReader), ...b.nodes, ...old.slice(firstReader)];
  const folded: ModelProto = { ...model, graph };
  setModelLabel(folded, modelLabel(model));
  // Without the per-step projections, whatever only they read is dropped.
  const inputs = (g.input ?? []).map((i) => i.name as string).filter((n) => !index.initializers.has(n));
  return { model: extractSubgraph(folded, { inputs: [...inputs, NIB_DIRECTION], outputs: (g.output ?? []).map((o) => o.name as string) }), reason: null };
}
