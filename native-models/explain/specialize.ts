/**
 * Last-layer specialization of the vision tower: the image embedding reads only the CLS row of the
 * last encoder layer's output, so in that layer only keys and values need every token. The query
 * projection, the attention output, the residual and the MLP are computed for row 0 alone, by
 * slicing LN1's output (for Q and for the shapes derived from it) and the residual input.
 *
 * Exact, not an approximation; found by structure, and validated by a real run against the
 * unspecialized model: where any step does not apply (another export pattern), the caller keeps
 * the plain graph.
 */
import type { ModelProto, NodeProto } from '../onnx/model';
import { DT, makeTensor } from '../onnx/tensors';

function producers(nodes: NodeProto[]): Map<string, NodeProto> {
  const m = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) if (o) m.set(o, n);
  return m;
}

/** Tensors computed (transitively) from `from`. */
function forwardClosure(nodes: NodeProto[], from: string): Set<string> {
  const reach = new Set([from]);
  for (const n of nodes) if ((n.input ?? []).some((i) => reach.has(i))) for (const o of n.output ?? []) reach.add(o);
  return reach;
}

/**
 * Returns the specialized model, or null with the reason when the pattern is not found.
 * `layerIn` = residual stream entering the last layer, `layerOut` = its output.
 */
export function specializeLastLayer(model: ModelProto, layerIn: string, layerOut: string): { model: ModelProto | null; reason: string | null } {
  const g = model.graph;
  if (!g) return { model: null, reason: 'no graph' };
  const nodes = g.node ?? [];
  const prod = producers(nodes);
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  // The attention residual add: Add(layerIn, attn). Its other input is the attention output.
  const resAdd = nodes.find((n) => n.opType === 'Add' && (n.input ?? []).includes(layerIn) && forwardClosure(nodes, layerIn).has(n.output?.[0] ?? '') && (n.input ?? []).some((i) => i !== layerIn));
  if (!resAdd) return { model: null, reason: 'attention residual add not found' };
  const reachIn = forwardClosure(nodes, layerIn);
  if (!reachIn.has(layerOut)) return { model: null, reason: 'layer output not reachable from its input' };
  // Q/K/V: MatMuls on one tensor X (LN1 output) with initializer weights.
  const byInput = new Map<string, NodeProto[]>();
  for (const n of nodes) {
    if (n.opType !== 'MatMul' || !inits.has(n.input?.[1] ?? '') || !reachIn.has(n.input?.[0] ?? '')) continue;
    const x = n.input![0];
    if (!byInput.has(x)) byInput.set(x, []);
    byInput.get(x)!.push(n);
  }
  const qkvEntry = [...byInput.entries()].find(([x, list]) => list.length === 3 && forwardClosure(nodes, layerIn).has(x) && !forwardClosure(nodes, resAdd.output![0]).has(x));
  if (!qkvEntry) return { model: null, reason: 'q/k/v projections not found' };
  const [x, qkv] = qkvEntry;
  const softmax = nodes.find((n) => n.opType === 'Softmax' && reachIn.has(n.input?.[0] ?? '') && !forwardClosure(nodes, resAdd.output![0]).has(n.input?.[0] ?? ''));
  if (!softmax) return { model: null, reason: 'attention softmax not found' };
  // Walk back from the softmax input through elementwise scale/mask ops to the scores MatMul.
  let cur = prod.get(softmax.input![0]);
  while (cur && cur.opType !== 'MatMul' && ['Add', 'Mul', 'Div', 'Where', 'Cast'].includes(cur.opType ?? '')) cur = prod.get(cur.input![0]);
  if (!cur || cur.opType !== 'MatMul') return { model: null, reason: 'attention scores MatMul not found' };
  const scoresQ = cur.input![0];
  const q = qkv.filter((n) => forwardClosure(nodes, n.output![0]).has(scoresQ));
  if (q.length !== 1) return { model: null, reason: 'query projection not identified' };

  const sliceX = `${x}/cls_row`;
  const sliceIn = `${layerIn}/cls_row`;
  const starts = 'candor/cls_row/starts', ends = 'candor/cls_row/ends', axes = 'candor/cls_row/axes';
  const newNodes: NodeProto[] = [];
  for (const n of nodes) {
    let inputs = n.input ?? [];
    if (n === q[0]) inputs = [sliceX, ...inputs.slice(1)];
    else if (n === resAdd) inputs = inputs.map((i) => (i === layerIn ? sliceIn : i));
    else if (n.opType === 'Shape' && inputs[0] === x) inputs = [sliceX];
    newNodes.push(inputs === n.input ? n : { ...n, input: inputs });
    const outs = n.output ?? [];
    if (outs.includes(x)) newNodes.push({ opType: 'Slice', name: 'candor/cls_row/x', input: [x, starts, ends, axes], output: [sliceX] });
  }
  // layerIn may be a graph input (the tail's cut) or a node output.
  const sliceInNode: NodeProto = { opType: 'Slice', name: 'candor/cls_row/in', input: [layerIn, starts, ends, axes], output: [sliceIn] };
  const inProducer = prod.get(layerIn);
  const at = inProducer ? newNodes.indexOf(inProducer) + 1 : 0;
  newNodes.splice(at, 0, sliceInNode);
  const out: ModelProto = {
    ...model,
    graph: {
      ...g,
      node: newNodes,
      initializer: [...(g.initializer ?? []), makeTensor(starts, DT.INT64, [1], [0]), makeTensor(ends, DT.INT64, [1], [1]), makeTensor(axes, DT.INT64, [1], [1])],
      // The encoder output is now the CLS row only; drop it as a graph output if it was one.
      output: (g.output ?? []).filter((o) => o.name !== layerOut),
      valueInfo: (g.valueInfo ?? []).filter((v) => v.name !== layerOut),
    },
  };
  return { model: out, reason: null };
}
