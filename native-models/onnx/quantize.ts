/**
 * Dynamic int8 quantization of a graph's weight products, for the opt-in reduced-precision NIB
 * (the setting `precision: 'int8'`; fp32 never passes through here).
 *
 * Each MatMul whose second input is a constant float matrix (an initializer of rank 2, or a
 * Transpose of one: the gradient's backward products read the weights transposed) becomes
 * onnxruntime's com.microsoft DynamicQuantizeMatMul: the weights stored int8, symmetric per output
 * column (scale_n = max_k |W[k, n]| / 127, zero point 0), and the activation A quantized to uint8
 * per tensor at run time by the kernel itself, so that the product runs on the CPU's integer dot
 * product units (AVX-512 VNNI, AMX, ARM dot product) where it has them and on plain integer SIMD
 * where it does not. DynamicQuantizeLinear + MatMulInteger + a scale Mul would compute the same but
 * as three kernels with two intermediates; the fused op is one kernel and packs B once at load.
 *
 * The error of one output element y_n = Σ_k A_k W_kn is bounded by the two rounding steps:
 * |Δy_n| ≤ Σ_k (|A_k|·s_n/2 + |W_kn|·a/2 + a·s_n/4), with a the activation's step (its range,
 * zero included, over 255) and s_n the column's step (tests/onnx/quantize.test.ts checks it).
 */
import { GraphIndex } from './graph-index';
import { modelLabel, setModelLabel, type ModelProto, type NodeProto, type TensorProto } from './model';
import { attrInts, DT, floatValues, makeTensor, tensorDims } from './tensors';

export const MS_DOMAIN = 'com.microsoft';

/** Symmetric int8 per column of a [K, N] row-major matrix: the values and each column's step. */
export function quantizePerColumn(w: Float32Array, K: number, N: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) scale[n] = Math.max(scale[n], Math.abs(w[k * N + n]));
  // An all-zero column keeps step 1 (its values quantize to 0 whatever the step).
  for (let n = 0; n < N; n++) scale[n] = scale[n] > 0 ? scale[n] / 127 : 1;
  const q = new Int8Array(K * N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) q[k * N + n] = Math.max(-127, Math.min(127, Math.round(w[k * N + n] / scale[n])));
  return { q, scale };
}

/** The constant [K, N] matrix a MatMul reads as B, if it is one (transposed from its initializer where needed). */
function constantMatrix(index: GraphIndex, inits: Map<string, TensorProto>, b: string): { w: Float32Array; K: number; N: number; source: string } | null {
  const direct = inits.get(b);
  const producer = direct ? null : index.producerOf(b);
  const viaTranspose = producer?.opType === 'Transpose' ? inits.get(producer.input?.[0] ?? '') : undefined;
  const t: TensorProto | undefined = direct ?? viaTranspose;
  if (!t || t.dataType !== DT.FLOAT) return null;
  const dims = tensorDims(t);
  if (dims.length !== 2) return null;
  const values = floatValues(t);
  if (direct) return { w: values, K: dims[0], N: dims[1], source: b };
  const perm = attrInts(producer as NodeProto, 'perm');
  // A rank-2 Transpose's only non-identity permutation (no perm: reversed axes).
  if (perm && !(perm[0] === 1 && perm[1] === 0)) return null;
  const [R, C] = dims;
  const w = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) w[c * R + r] = values[r * C + c];
  return { w, K: C, N: R, source: `${producer?.input?.[0]}ᵀ` };
}

export interface Quantized {
  model: ModelProto;
  /** MatMuls rewritten. */
  quantized: number;
  /** Weights (of all of them) stored as int8 instead of fp32. */
  weights: number;
}

/**
 * `model` with every MatMul of a constant float weight matrix rewritten to DynamicQuantizeMatMul
 * (see above). The input is not changed; initializers and Transposes left unread are dropped.
 */
export function quantizeMatMuls(model: ModelProto): Quantized {
  const g = model.graph;
  if (!g) return { model, quantized: 0, weights: 0 };
  const index = new GraphIndex(g);
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const added: TensorProto[] = [];
  const made = new Map<string, { q: string; scale: string }>();
  let quantized = 0, weights = 0;
  const used = new Set<string>([...(g.initializer ?? []).map((t) => t.name ?? ''), ...(g.node ?? []).flatMap((n) => n.output ?? [])]);
  const fresh = (base: string): string => {
    let name = base, i = 0;
    while (used.has(name)) name = `${base}_${++i}`;
    used.add(name);
    return name;
  };
  const nodes = (g.node ?? []).map((n): NodeProto => {
    if (n.opType !== 'MatMul' || (n.domain ?? '') !== '' || (n.input?.length ?? 0) !== 2) return n;
    const m = constantMatrix(index, inits, n.input![1]);
    if (!m) return n;
    let names = made.get(m.source);
    if (!names) {
      const { q, scale } = quantizePerColumn(m.w, m.K, m.N);
      names = { q: fresh(`int8/${m.source}`), scale: fresh(`int8/${m.source}/scale`) };
      added.push(makeTensor(names.q, DT.INT8, [m.K, m.N], q), makeTensor(names.scale, DT.FLOAT, [m.N], scale));
      made.set(m.source, names);
      weights += m.K * m.N;
    }
    quantized++;
    return { ...n, opType: 'DynamicQuantizeMatMul', domain: MS_DOMAIN, input: [n.input![0], names.q, names.scale] };
  });
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
  const opsets = model.opsetImport ?? [];
  const out: ModelProto = {
    ...model,
    opsetImport: opsets.some((o) => o.domain === MS_DOMAIN) ? opsets : [...opsets, { domain: MS_DOMAIN, version: 1 }],
    graph: { ...g, node: kept, initializer: [...(g.initializer ?? []).filter((t) => read.has(t.name ?? '')), ...added] },
  };
  setModelLabel(out, modelLabel(model));
  return { model: out, quantized, weights };
}
