/**
 * Dynamic int8 quantization of a graph's weight products, for the opt-in reduced-precision NIB
 * (the setting `precision: 'int8'`; fp32 never passes through here).
 *
 * Each MatMul whose second input is a constant float matrix (an initializer of rank 2, or a
 * Transpose of one: the gradient's backward products read the weights transposed; or ort-fusion.ts's
 * FusedMatMul reading one through transB) becomes an
 * integer product: the weights stored int8, symmetric per output column (s_n = max_k |W[k, n]| / L,
 * L = 127, or 63 on CPUs whose 8-bit products could overflow: runtime/int8-units.ts),
 * and the activation quantized at run time per row (per token and step), symmetric with step
 * a = max_k |A[k]| / 127, shifted to uint8 (zero point 128) so that onnxruntime's MatMulInteger runs
 * its u8·s8 kernel, the one the CPU's integer dot-product units (AVX-512 VNNI, AMX) serve:
 *
 *   y = (MatMulInteger(round(A / a) + 128, Wq, 128) · a) · s
 *
 * Why per row and not onnxruntime's fused DynamicQuantizeMatMul (one step for the whole tensor): the
 * backward products read the gradient, whose rows differ by orders of magnitude (the pooled token's
 * against the patches'), and one step for all of them rounds the small rows away. Measured here (npm
 * run bench precision, 2-core AMD EPYC with AVX-512 VNNI): on one 500×768·768×3072 product with rows
 * of sizes 1 to 1/1000 the fused op is 2.7–3.3× fp32 but its error reaches 100 % of a small row, the
 * per-row form 2.0–3.3× (runs on a shared machine) with 0.8 %; in NIB on the ViT-B/32-shaped bundle the fused op gave patch-score
 * Spearman 0.79–0.95 against fp32 over the demo studies, the per-row form 0.998–0.999, at about the
 * same CPU time for the whole graph.
 *
 * The error of one output element is bounded by the two rounding steps:
 * |Δy_n| ≤ Σ_k (|A_k|·s_n/2 + |W_kn|·a/2 + a·s_n/4) (tests/onnx/quantize.test.ts checks it).
 */
import { GraphBuilder } from './builder';
import { GraphIndex } from './graph-index';
import { modelLabel, opsetVersion, setModelLabel, toNumber, type ModelProto, type NodeProto, type TensorProto } from './model';
import { ORT_DOMAIN } from './ort-fusion';
import { attrInts, DT, floatValues, getAttr, makeTensor, tensorDims } from './tensors';

/** Symmetric int8 per column of a [K, N] row-major matrix, |q| ≤ 2^(bits−1) − 1: the values and each column's step. */
export function quantizePerColumn(w: Float32Array, K: number, N: number, bits: 7 | 8 = 8): { q: Int8Array; scale: Float32Array } {
  const L = 2 ** (bits - 1) - 1;
  const scale = new Float32Array(N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) scale[n] = Math.max(scale[n], Math.abs(w[k * N + n]));
  // An all-zero column keeps step 1 (its values quantize to 0 whatever the step).
  for (let n = 0; n < N; n++) scale[n] = scale[n] > 0 ? scale[n] / L : 1;
  const q = new Int8Array(K * N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) q[k * N + n] = Math.max(-L, Math.min(L, Math.round(w[k * N + n] / scale[n])));
  return { q, scale };
}

/** A product this file rewrites: MatMul, or ort-fusion.ts's FusedMatMul that reads its weight through transB. */
function weightProduct(n: NodeProto): 'plain' | 'transB' | null {
  if ((n.input?.length ?? 0) !== 2) return null;
  if (n.opType === 'MatMul' && (n.domain ?? '') === '') return 'plain';
  if (n.opType !== 'FusedMatMul' || n.domain !== ORT_DOMAIN) return null;
  const i = (name: string, dflt: number): number => toNumber(getAttr(n, name)?.i ?? dflt);
  const alpha = getAttr(n, 'alpha')?.f ?? 1;
  return i('transB', 0) === 1 && i('transA', 0) === 0 && i('transBatchA', 0) === 0 && i('transBatchB', 0) === 0 && alpha === 1 ? 'transB' : null;
}

/** The constant [K, N] matrix a product reads as B, if it is one (transposed from its initializer where needed). */
function constantMatrix(index: GraphIndex, inits: Map<string, TensorProto>, n: NodeProto, form: 'plain' | 'transB'): { w: Float32Array; K: number; N: number; source: string } | null {
  const b = n.input![1];
  const direct = inits.get(b);
  const producer = direct ? null : index.producerOf(b);
  const viaTranspose = producer?.opType === 'Transpose' && form === 'plain' ? inits.get(producer.input?.[0] ?? '') : undefined;
  const t = direct ?? viaTranspose;
  if (!t || t.dataType !== DT.FLOAT) return null;
  const dims = tensorDims(t);
  if (dims.length !== 2) return null;
  const values = floatValues(t);
  if (direct && form === 'plain') return { w: values, K: dims[0], N: dims[1], source: b };
  const perm = producer ? attrInts(producer, 'perm') : null;
  // A rank-2 Transpose's only non-identity permutation (no perm: reversed axes).
  if (perm && !(perm[0] === 1 && perm[1] === 0)) return null;
  const [R, C] = dims;
  const w = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) w[c * R + r] = values[r * C + c];
  return { w, K: C, N: R, source: `${direct ? b : producer?.input?.[0]}.T` };
}

export interface Quantized {
  model: ModelProto;
  /** MatMuls rewritten. */
  quantized: number;
  /** Weights (of all of them) stored as int8 instead of fp32. */
  weights: number;
}

/**
 * `model` with every MatMul of a constant float weight matrix rewritten to an integer product (see
 * above). The input model is not changed; initializers and Transposes left unread are dropped.
 */
export function quantizeMatMuls(model: ModelProto, opts: { weightBits: 7 | 8 }): Quantized {
  const g = model.graph;
  if (!g) return { model, quantized: 0, weights: 0 };
  const index = new GraphIndex(g);
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const work = { ...g, node: [...(g.node ?? [])], initializer: [...(g.initializer ?? [])] };
  const b = new GraphBuilder(work, 'int8/');
  const axesAsInput = opsetVersion(model) >= 18;
  const weightsOf = new Map<string, { q: string; scale: string }>();
  const replacement = new Map<NodeProto, NodeProto[]>();
  let weights = 0;
  for (const n of g.node ?? []) {
    const form = weightProduct(n);
    if (!form) continue;
    const m = constantMatrix(index, inits, n, form);
    if (!m) continue;
    let w = weightsOf.get(m.source);
    if (!w) {
      const { q, scale } = quantizePerColumn(m.w, m.K, m.N, opts.weightBits);
      w = { q: b.fresh('weight'), scale: b.fresh('weight_scale') };
      // Pushed directly: GraphBuilder.constant would key its cache on every value.
      work.initializer.push(makeTensor(w.q, DT.INT8, [m.K, m.N], q), makeTensor(w.scale, DT.FLOAT, [m.N], scale));
      weightsOf.set(m.source, w);
      weights += m.K * m.N;
    }
    const first = b.nodes.length;
    const a = n.input![0];
    const absA = b.op1('Abs', [a]);
    const peak = axesAsInput ? b.op1('ReduceMax', [absA, b.ints([-1])], { keepdims: 1 }) : b.op1('ReduceMax', [absA], { axes: [-1], keepdims: 1 });
    // An all-zero row keeps a tiny step: its values quantize to 0.
    const step = b.op1('Div', [b.op1('Max', [peak, b.scalar(DT.FLOAT, 1e-30)]), b.scalar(DT.FLOAT, 127)]);
    const shifted = b.op1('Add', [b.op1('Round', [b.op1('Div', [a, step])]), b.scalar(DT.FLOAT, 128)]);
    const acc = b.op1('MatMulInteger', [b.op1('Cast', [shifted], { to: DT.UINT8 }), w.q, b.scalar(DT.UINT8, 128)]);
    b.op('Mul', [b.op1('Mul', [b.op1('Cast', [acc], { to: DT.FLOAT }), step]), w.scale], {}, [n.output![0]]);
    replacement.set(n, b.nodes.slice(first));
  }
  const nodes = (g.node ?? []).flatMap((n) => replacement.get(n) ?? [n]);
  // What only the rewritten products read (the fp32 weights, their Transposes) goes.
  const read = new Set<string>((g.output ?? []).map((o) => o.name ?? ''));
  const kept: NodeProto[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (n.opType === 'Transpose' && !(n.output ?? []).some((o) => read.has(o))) continue;
    kept.push(n);
    for (const x of n.input ?? []) read.add(x);
  }
  kept.reverse();
  const out: ModelProto = { ...model, graph: { ...g, node: kept, initializer: work.initializer.filter((t) => read.has(t.name ?? '')) } };
  setModelLabel(out, modelLabel(model));
  return { model: out, quantized: replacement.size, weights };
}
