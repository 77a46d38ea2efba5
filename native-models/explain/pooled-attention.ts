/**
 * The last encoder layer for the pooled row alone, with its attention reassociated so that no
 * key or value is projected for the other tokens. With X the tensor the Q/K/V projections read
 * (LN1's output in a pre-LN block, the layer input in a post-LN one), per head h:
 *
 *   scores_h = q_h · (X W_k,h + b_k,h)ᵀ = X (W_k,h q_hᵀ) + const      (the constant cancels in the softmax)
 *   ctx_h    = P_h (X W_v,h + b_v,h)    = (P_h X) W_v,h + b_v,h         (each softmax row sums to 1)
 *
 * so the row's attention costs O(tokens · width · heads) instead of O(tokens · width²); the output
 * projection, residual and MLP then run on that row only (the residual add reads the row of the
 * layer input). Exact up to float rounding.
 *
 * Found by structure: the softmax, the score MatMul with the scale/mask ops between them, the
 * P·V MatMul, the tensor merged from the heads that the output projection reads, and X, reached
 * from q, kᵀ and v through reshapes, transposes, scales and (fused QKV) the split. The per-head
 * weights are read back numerically from the export's own X → q, kᵀ, v subgraph (one run on scaled
 * unit rows), so fused and separate projections, folded scales and head layouts all come out the
 * same. The caller validates the result against the model with a real run and otherwise keeps the
 * plain graph.
 */
import * as ort from 'onnxruntime-node';
import { GraphIndex } from '../onnx/graph-index';
import { GraphBuilder } from '../onnx/builder';
import { serializeModel, type ModelProto, type NodeProto } from '../onnx/model';
import { extractSubgraph } from '../onnx/surgery';
import { attrInt, DT, tensorDims } from '../onnx/tensors';

export type Rewrite = { model: ModelProto | null; reason: string | null };

const SCORE_OPS = new Set(['Add', 'Mul', 'Div', 'Cast']);
const PASS_OPS = new Set(['Transpose', 'Reshape', 'Add', 'Mul', 'Div', 'Gather', 'Squeeze', 'Unsqueeze', 'Split', 'Slice', 'Cast', 'Identity']);
const ROW_SCALE = 1024;

interface ScoreOp {
  node: NodeProto;
  /** The operand that is not the scores (a scale, a mask), or null for a unary op. */
  other: string | null;
  dataFirst: boolean;
}

function fail(reason: string): Rewrite {
  return { model: null, reason };
}

/** Walks back from `t` through reshapes, transposes, scales and splits to the projection MatMul; returns X and the MatMul. */
function projectionInput(index: GraphIndex, t: string, reach: Set<string>): { x: string; matmul: NodeProto } | null {
  let cur = t;
  for (let steps = 0; steps < 32; steps++) {
    const n = index.producerOf(cur);
    if (!n) return null;
    if (n.opType === 'MatMul' && index.initializers.has(n.input?.[1] ?? '')) return { x: n.input![0], matmul: n };
    if (!PASS_OPS.has(n.opType ?? '')) return null;
    const data = (n.input ?? []).filter((i) => i && reach.has(i));
    if (data.length !== 1) return null;
    cur = data[0];
  }
  return null;
}

/** Affine per-token maps X → q [·,H,T,hd], kᵀ [·,H,hd,T], v [·,H,T,hd], read by one run on scaled unit rows. */
async function readProjections(model: ModelProto, x: string, outs: [string, string, string], width: number, tokens: number): Promise<{ H: number; hd: number; q: Float64Array[]; k: Float64Array[]; v: Float64Array[] } | string> {
  const sub = extractSubgraph(model, { inputs: [x], outputs: outs });
  if ((sub.graph?.input ?? []).length !== 1) return 'the q/k/v projections read more than their input';
  const rows = width + 1;
  const nb = Math.ceil(rows / tokens);
  const feed = new Float32Array(nb * tokens * width);
  for (let d = 0; d < width; d++) feed[(d + 1) * width + d] = ROW_SCALE;
  let session: ort.InferenceSession | null = null;
  try {
    session = await ort.InferenceSession.create(serializeModel(sub), { graphOptimizationLevel: 'basic', logSeverityLevel: 4 });
    const res = await session.run({ [x]: new ort.Tensor('float32', feed, [nb, tokens, width]) });
    const [q, kt, v] = outs.map((o) => res[o]);
    const qd = q.dims.map(Number), kd = kt.dims.map(Number), vd = v.dims.map(Number);
    if (qd.length !== 4 || kd.length !== 4 || vd.length !== 4 || qd[2] !== tokens || kd[3] !== tokens || vd[2] !== tokens) return `unexpected head layouts q [${qd}], kᵀ [${kd}], v [${vd}]`;
    const [H, hd] = [qd[1], qd[3]];
    if (kd[1] !== H || kd[2] !== hd || vd[1] !== H) return `q, k and v disagree on heads: [${qd}], [${kd}], [${vd}]`;
    const dv = vd[3];
    const qa = q.data as Float32Array, ka = kt.data as Float32Array, va = v.data as Float32Array;
    // Row g of the feed = token t of batch item b; out[h][j] per row, as float64.
    const at = (a: Float32Array, dims: number[], g: number, transposed: boolean): Float64Array => {
      const b = Math.floor(g / tokens), t = g % tokens;
      const [, Hh, A, B] = dims;
      const out = new Float64Array(Hh * (transposed ? A : B));
      const inner = transposed ? A : B;
      for (let h = 0; h < Hh; h++) for (let j = 0; j < inner; j++) out[h * inner + j] = transposed ? a[((b * Hh + h) * A + j) * B + t] : a[((b * Hh + h) * A + t) * B + j];
      return out;
    };
    const read = (a: Float32Array, dims: number[], transposed: boolean): Float64Array[] => Array.from({ length: rows }, (_, g) => at(a, dims, g, transposed));
    if (dv !== hd) return `values of width ${dv} per head differ from queries of ${hd}`;
    return { H, hd, q: read(qa, qd, false), k: read(ka, kd, true), v: read(va, vd, false) };
  } catch (e) {
    return `reading the projections failed: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    await session?.release();
  }
}

export async function pooledRowAttention(model: ModelProto, layerIn: string, layerOut: string, row: number, tokens: number): Promise<Rewrite> {
  const g = model.graph;
  if (!g) return fail('no graph');
  if (row !== 0 && row !== -1) return fail(`pooled row ${row} (only the first or the last row is supported)`);
  const index = new GraphIndex(g);
  const reachIn = index.dataClosure(layerIn);
  if (!reachIn.has(layerOut)) return fail('layer output not reachable from its input');
  const resAdd = index.nodes.find((n) => n.opType === 'Add' && (n.input ?? []).includes(layerIn) && (n.input ?? []).some((i) => i !== layerIn && reachIn.has(i)));
  if (!resAdd) return fail('attention residual add not found');
  const afterRes = index.dataClosure(resAdd.output![0]);
  const softmax = index.nodes.find((n) => n.opType === 'Softmax' && reachIn.has(n.input?.[0] ?? '') && !afterRes.has(n.input?.[0] ?? ''));
  if (!softmax) return fail('attention softmax not found');
  const axis = attrInt(softmax, 'axis', -1);
  if (axis !== -1 && axis !== 3) return fail(`softmax over axis ${axis}`);
  // Scale and mask ops between the scores MatMul and the softmax, from the MatMul outward.
  const chain: ScoreOp[] = [];
  let cur = index.producerOf(softmax.input![0]);
  while (cur && SCORE_OPS.has(cur.opType ?? '')) {
    const ins = cur.input ?? [];
    const data = ins.findIndex((i) => reachIn.has(i));
    if (data < 0 || ins.filter((i) => reachIn.has(i)).length !== 1) return fail(`${cur.opType} between the scores and the softmax mixes two computed tensors`);
    if (cur.opType === 'Div' && data !== 0) return fail('a division of a constant by the scores');
    chain.unshift({ node: cur, other: ins.length > 1 ? ins[1 - data] : null, dataFirst: data === 0 });
    cur = index.producerOf(ins[data]);
  }
  if (!cur || cur.opType !== 'MatMul') return fail('attention scores MatMul not found');
  const [qT, kT] = cur.input as [string, string];
  const pv = index.consumersOf(softmax.output![0]).find((n) => n.opType === 'MatMul' && n.input?.[0] === softmax.output![0]);
  if (!pv) return fail('attention P·V MatMul not found (directly on the softmax output)');
  const vT = pv.input![1];
  // The merged heads the output projection reads.
  let merged = pv.output![0];
  for (;;) {
    const next = index.consumersOf(merged).filter((n) => n.opType !== 'Shape');
    if (next.length !== 1) return fail('the attention output is read in several places');
    const n = next[0];
    if ((n.opType === 'MatMul' || n.opType === 'Gemm') && index.initializers.has(n.input?.[1] ?? '')) break;
    if (!['Transpose', 'Reshape', 'Identity', 'Cast'].includes(n.opType ?? '')) return fail(`${n.opType} after the attention, before its output projection`);
    merged = n.output![0];
  }
  const projections = [qT, kT, vT].map((t) => projectionInput(index, t, reachIn));
  if (projections.some((p) => !p) || new Set(projections.map((p) => p!.x)).size !== 1) return fail('q, k and v are not projections of one tensor');
  const x = projections[0]!.x;
  const width = tensorDims(g.initializer!.find((t) => t.name === projections[0]!.matmul.input![1])!)[0];
  const w = await readProjections(model, x, [qT, kT, vT], width, tokens);
  if (typeof w === 'string') return fail(w);
  const { H, hd } = w;
  const D = width;

  const wq = new Float32Array(D * H * hd), bq = new Float32Array(H * hd);
  const wkT = new Float32Array(H * hd * D);
  const wv = new Float32Array(H * D * hd), bv = new Float32Array(H * hd);
  for (let c = 0; c < H * hd; c++) {
    bq[c] = w.q[0][c];
    bv[c] = w.v[0][c];
  }
  for (let d = 0; d < D; d++) {
    for (let h = 0; h < H; h++) {
      for (let j = 0; j < hd; j++) {
        const c = h * hd + j;
        wq[d * H * hd + c] = (w.q[d + 1][c] - w.q[0][c]) / ROW_SCALE;
        wkT[(h * hd + j) * D + d] = (w.k[d + 1][c] - w.k[0][c]) / ROW_SCALE;
        wv[(h * D + d) * hd + j] = (w.v[d + 1][c] - w.v[0][c]) / ROW_SCALE;
      }
    }
  }

  const graph = { ...g, node: [...(g.node ?? [])], initializer: [...(g.initializer ?? [])], output: (g.output ?? []).filter((o) => o.name !== layerOut) };
  const b = new GraphBuilder(graph, 'candor/pooled_row/');
  const end = row === -1 ? Number.MAX_SAFE_INTEGER : row + 1;
  const rowOf = (t: string, ax: number): string => b.op1('Slice', [t, b.ints([row]), b.ints([end]), b.ints([ax])]);
  const xRow = rowOf(x, 1);
  const q = b.op1('Transpose', [b.op1('Reshape', [b.op1('Add', [b.op1('MatMul', [xRow, b.constant(DT.FLOAT, [D, H * hd], wq)]), b.constant(DT.FLOAT, [H * hd], bq)]), b.ints([0, 1, H, hd])])], { perm: [0, 2, 1, 3] });
  // Products against X stay 3-D ([B,H,D]·[B,D,T], [B,H,T]·[B,T,D]): a 4-D form broadcasting X over the
  // heads would make the gradient build a [B,H,T,D] product per step and sum it over the heads.
  const u = b.op1('Reshape', [b.op1('MatMul', [q, b.constant(DT.FLOAT, [H, hd, D], wkT)]), b.ints([0, H, D])]);
  let scores = b.op1('Unsqueeze', [b.op1('MatMul', [u, b.op1('Transpose', [x], { perm: [0, 2, 1] })]), b.ints([2])]);
  for (const op of chain) {
    let other = op.other;
    // A mask has a row per query: keep the pooled one (a [.., 1, T] mask is the same for every row).
    if (other && (!index.isConstant(other) || (index.constantValues(other)?.length ?? 1) > 1)) other = rowOf(other, -2);
    scores = other === null ? b.op1(op.node.opType!, [scores], {}) : b.op1(op.node.opType!, op.dataFirst ? [scores, other] : [other, scores]);
    if (op.node.opType === 'Cast') b.nodes[b.nodes.length - 1].attribute = [...(op.node.attribute ?? [])];
  }
  const p = b.op1('Squeeze', [b.op1('Softmax', [scores], { axis: -1 }), b.ints([2])]);
  const px = b.op1('Unsqueeze', [b.op1('MatMul', [p, x]), b.ints([2])]);
  const ctx = b.op1('Add', [b.op1('MatMul', [px, b.constant(DT.FLOAT, [H, D, hd], wv)]), b.constant(DT.FLOAT, [H, 1, hd], bv)]);
  const mergedRow = b.op1('Reshape', [b.op1('Transpose', [ctx], { perm: [0, 2, 1, 3] }), b.ints([0, 1, H * hd])]);
  const inRow = rowOf(layerIn, 1);
  graph.node = graph.node.map((n) => {
    const ins = n.input ?? [];
    if (n === resAdd) return { ...n, input: ins.map((i) => (i === layerIn ? inRow : i)) };
    if (ins.includes(merged) && !b.nodes.includes(n)) return { ...n, input: ins.map((i) => (i === merged ? mergedRow : i)) };
    return n;
  });
  // The new nodes read X and layerIn, so they go after both are computed; the rewired readers after them.
  const fresh = new Set(b.nodes);
  const old = graph.node.filter((n) => !fresh.has(n));
  const producedAt = (t: string): number => old.findIndex((n) => (n.output ?? []).includes(t));
  const at = Math.max(producedAt(x), producedAt(layerIn)) + 1;
  graph.node = [...old.slice(0, at), ...b.nodes, ...old.slice(at)];
  return { model: { ...model, graph }, reason: null };
}
