/**
 * Last-layer specialization: where the embedding reads one row of the last encoder layer's output
 * (CLS at row 0, or the last position), only keys and values need every token in that layer. The
 * query projection, the attention output, the residual and the MLP are computed for that row
 * alone, by slicing the tensor the Q/K/V projections read (LN1's output in a pre-LN block, the
 * layer input itself in a post-LN one) for Q and for the shapes derived from it, and the residual
 * input.
 *
 * Exact, not an approximation; found by structure, and validated by a real run against the
 * unspecialized model: where any step does not apply (another export pattern), the caller keeps
 * the plain graph.
 */
import { GraphIndex } from '../onnx/graph-index';
import type { ModelProto, NodeProto } from '../onnx/model';
import { DT, makeTensor } from '../onnx/tensors';

/**
 * Returns the specialized model, or null with the reason when the pattern is not found.
 * `layerIn` = hidden state entering the last layer, `layerOut` = its output, `row` = the pooled
 * row (0, or -1 for the last position).
 */
export function specializeLastLayer(model: ModelProto, layerIn: string, layerOut: string, row: number): { model: ModelProto | null; reason: string | null } {
  const g = model.graph;
  if (!g) return { model: null, reason: 'no graph' };
  const index = new GraphIndex(g);
  const nodes = index.nodes;
  const reachIn = index.forwardClosure(layerIn);
  if (!reachIn.has(layerOut)) return { model: null, reason: 'layer output not reachable from its input' };
  // The attention residual add: Add(layerIn, attn). Its other input is the attention output.
  const resAdd = nodes.find((n) => n.opType === 'Add' && (n.input ?? []).includes(layerIn) && (n.input ?? []).some((i) => i !== layerIn && reachIn.has(i)));
  if (!resAdd) return { model: null, reason: 'attention residual add not found' };
  const afterRes = index.forwardClosure(resAdd.output![0]);
  // Q/K/V: MatMuls on one tensor X (LN1 output, or the layer input) with initializer weights.
  const byInput = new Map<string, NodeProto[]>();
  for (const n of nodes) {
    if (n.opType !== 'MatMul' || !index.initializers.has(n.input?.[1] ?? '') || !reachIn.has(n.input?.[0] ?? '')) continue;
    const x = n.input![0];
    if (!byInput.has(x)) byInput.set(x, []);
    byInput.get(x)!.push(n);
  }
  const qkvEntry = [...byInput.entries()].find(([x, list]) => list.length === 3 && !afterRes.has(x));
  if (!qkvEntry) return { model: null, reason: 'separate q/k/v projections not found' };
  const [x, qkv] = qkvEntry;
  const softmax = nodes.find((n) => n.opType === 'Softmax' && reachIn.has(n.input?.[0] ?? '') && !afterRes.has(n.input?.[0] ?? ''));
  if (!softmax) return { model: null, reason: 'attention softmax not found' };
  // Walk back from the softmax input through elementwise scale/mask ops to the scores MatMul.
  let cur = index.producerOf(softmax.input![0]);
  while (cur && cur.opType !== 'MatMul' && ['Add', 'Mul', 'Div', 'Where', 'Cast'].includes(cur.opType ?? '')) cur = index.producerOf(cur.input![0]);
  if (!cur || cur.opType !== 'MatMul') return { model: null, reason: 'attention scores MatMul not found' };
  const scoresQ = cur.input![0];
  const q = qkv.filter((n) => index.forwardClosure(n.output![0]).has(scoresQ));
  if (q.length !== 1) return { model: null, reason: 'query projection not identified' };

  const starts = 'candor/pooled_row/starts', ends = 'candor/pooled_row/ends', axes = 'candor/pooled_row/axes';
  const slice = (t: string, name: string): NodeProto => ({ opType: 'Slice', name, input: [t, starts, ends, axes], output: [`${t}/pooled_row`] });
  const sliceX = `${x}/pooled_row`;
  const sliceIn = `${layerIn}/pooled_row`;
  const newNodes: NodeProto[] = [];
  // layerIn (and X, when the projections read the layer input) may be a graph input (the tail's cut) or a node output.
  const sliceAtStart = [layerIn, ...(x === layerIn ? [] : [x])].filter((t) => !index.producerOf(t));
  for (const t of sliceAtStart) newNodes.push(slice(t, `candor/pooled_row/${t === x ? 'x' : 'in'}`));
  for (const n of nodes) {
    let inputs = n.input ?? [];
    if (n === q[0]) inputs = [sliceX, ...inputs.slice(1)];
    else if (n === resAdd) inputs = inputs.map((i) => (i === layerIn ? sliceIn : i));
    else if (n.opType === 'Shape' && inputs[0] === x) inputs = [sliceX];
    newNodes.push(inputs === n.input ? n : { ...n, input: inputs });
    const outs = n.output ?? [];
    if (outs.includes(layerIn)) newNodes.push(slice(layerIn, 'candor/pooled_row/in'));
    if (x !== layerIn && outs.includes(x)) newNodes.push(slice(x, 'candor/pooled_row/x'));
  }
  const end = row === -1 ? Number.MAX_SAFE_INTEGER : row + 1;
  const out: ModelProto = {
    ...model,
    graph: {
      ...g,
      node: newNodes,
      initializer: [...(g.initializer ?? []), makeTensor(starts, DT.INT64, [1], [row]), makeTensor(ends, DT.INT64, [1], [end]), makeTensor(axes, DT.INT64, [1], [1])],
      // The encoder output is now the pooled row only; drop it as a graph output if it was one.
      output: (g.output ?? []).filter((o) => o.name !== layerOut),
      valueInfo: (g.valueInfo ?? []).filter((v) => v.name !== layerOut),
    },
  };
  return { model: out, reason: null };
}
