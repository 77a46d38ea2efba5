// Reverse-mode automatic differentiation over ONNX graphs: emits a new ONNX graph (forward + backward).
//
// How: one probe run (every tensor exposed) gives element types and shapes; tensors that depend on a `wrt`
// tensor through float values are "active", and only active tensors the objective depends on get gradients,
// so weight gradients and shape-only subgraphs never appear. Each op's rule (gradient-rules.ts) emits plain
// ONNX ops; broadcasting is summed back with axes fixed for constants and computed from run-time shapes
// otherwise, so the graph holds for any batch size. The result keeps every original output, adds
// `grad:<name>` per wrt tensor, and imports at least opset 16 (ScatterElements with reduction).
import type * as ort from 'onnxruntime-node';
import { GraphBuilder } from './builder';
import { GradContext, type TensorMeta } from './grad-context';
import { DIFFERENTIABLE_INPUTS, NON_DIFFERENTIABLE, RULES } from './gradient-rules';
import { OnnxError, modelLabel, opsetVersion, setModelLabel, toNumber, type ModelProto, type NodeProto, type TensorProto } from './model';
import { defaultProbeFeeds, isFloatMeta, probeModel } from './probe';
import { findTensor, nodeLabel } from './surgery';
import { getAttr, makeTensor } from './tensors';

export const GRAD_PREFIX = 'grad:';

const inputsOf = (n: NodeProto): string[] => n.input ?? [];
const outputsOf = (n: NodeProto): string[] => n.output ?? [];
// Any name that is no op misses these tables, so which one stands in for a missing opType does not matter.
// Stryker disable next-line StringLiteral: see above
const opOf = (n: NodeProto): string => n.opType ?? '';
const isNonDifferentiable = (n: NodeProto): boolean => NON_DIFFERENTIABLE.has(opOf(n));

/** A tensor of x's (run-time) shape filled with v. */
function filledLike(b: GraphBuilder, x: string, dtype: number, v: number): string {
  // Stryker disable next-line StringLiteral: the name of the tensor inside the attribute is not read
  const value = makeTensor('value', dtype, [1], [v]);
  return b.op1('ConstantOfShape', [b.op1('Shape', [x])], { value });
}

/** Inputs outside DIFFERENTIABLE_INPUTS whose gradient is truly zero: Dropout's ratio has no effect at inference. */
const ZERO_GRADIENT_INPUTS: Record<string, number[]> = { Dropout: [1] };

/**
 * Clip's bounds and Pad's value carry gradient that no rule computes: a wrt tensor reaching the objective
 * through one of them would silently get a wrong (zero) part of its gradient, so it is refused instead.
 */
function refuseUndifferentiatedPath(n: NodeProto, k: number, active: Set<string>, allowed: number[], label: string, wrt: string[]): void {
  // Stryker disable next-line ArrayDeclaration: a string in the list never equals an input index
  const zero = ZERO_GRADIENT_INPUTS[opOf(n)] ?? [];
  inputsOf(n).forEach((x, i) => {
    if (!x || !active.has(x) || allowed.includes(i) || zero.includes(i)) return;
    throw new OnnxError(
      `${label}: input ${i} ("${x}") of ${nodeLabel(n, k)} depends on ${wrt.map((w) => `"${w}"`).join(', ')}, but ${opOf(n)} is differentiated only through its input ${allowed.join(', ')}; the gradient would miss that path`,
    );
  });
}

export interface GradientOptions {
  /** Scalar tensor, or a per-item tensor whose sum is differentiated. */
  objective: string;
  /** Graph inputs, intermediate tensors or initializers. */
  wrt: string[];
  /**
   * Sample feeds for one run of the model, used to learn every tensor's element type and shape (ranks,
   * broadcasting). Give dynamic dimensions values of at least 2 (batch 2 is plenty; values do not matter).
   * An input that broadcasts at run time (e.g. target_embeds fed as [1, dim]) may be probed either way; only
   * the tensors you differentiate with respect to must be probed broadcasting as they will in runs (not batch 1
   * in the probe when runs pair them with a larger batch elsewhere, or the reverse).
   * Optional when every graph input declares its shape (dynamic dimensions are then probed at 2).
   */
  probe?: Record<string, ort.Tensor>;
}

/** The ONNX opset the emitted gradient ops need (ScatterElements with reduction). */
const MIN_OPSET = 16;

export async function buildGradientModel(model: ModelProto, opts: GradientOptions): Promise<ModelProto> {
  const label = modelLabel(model);
  const opset = opsetVersion(model);
  if (opset < 13) throw new OnnxError(`${label}: opset ${opset} is too old for differentiation (need 13 or newer)`);
  findTensor(model, opts.objective);
  for (const w of opts.wrt) findTensor(model, w);
  const feeds = opts.probe ?? defaultProbeFeeds(model);
  if (!feeds) {
    throw new OnnxError(`${label}: buildGradientModel needs a probe (sample feeds): some inputs declare no shape`);
  }
  const metas = await probeModel(model, feeds);

  const src = model.graph!;
  const nodes = src.node ?? [];
  const graph = { ...src, node: [...nodes], initializer: [...(src.initializer ?? [])], output: [...(src.output ?? [])] };
  const out: ModelProto = {
    ...model,
    // Stryker disable next-line ArrayDeclaration: a model without opsetImport was refused above (opset 0)
    opsetImport: (model.opsetImport ?? []).map((o) =>
      !o.domain || o.domain === 'ai.onnx' ? { ...o, version: Math.max(MIN_OPSET, toNumber(o.version)) } : o,
    ),
    graph,
  };
  setModelLabel(out, label);
  const b = new GraphBuilder(graph, 'grad/');

  const constants = new Map<string, TensorProto>();
  for (const t of graph.initializer) constants.set(t.name!, t);
  for (const n of nodes) {
    // Stryker disable next-line OptionalChaining: a node without outputs has already been refused by the probe run
    if (n.opType === 'Constant' && n.output?.[0]) {
      const v = getAttr(n, 'value');
      if (v?.t) constants.set(n.output[0], v.t);
      const vf = getAttr(n, 'value_float');
      if (vf) constants.set(n.output[0], makeTensor(n.output[0], 1, [], [vf.f ?? 0]));
      const vi = getAttr(n, 'value_int');
      if (vi) constants.set(n.output[0], makeTensor(n.output[0], 7, [], [toNumber(vi.i)]));
      const vis = getAttr(n, 'value_ints');
      // Stryker disable next-line ArrayDeclaration: a decoded attribute always has its ints array (protobufjs defaults repeated fields to [])
      const ints = (vis?.ints ?? []).map(toNumber);
      if (vis) constants.set(n.output[0], makeTensor(n.output[0], 7, [ints.length], ints));
    }
  }
  const wrtSet = new Set(opts.wrt);
  for (const w of opts.wrt) {
    constants.delete(w); // a tensor we differentiate with respect to is treated as variable
    if (!isFloatMeta(metas.get(w))) throw new OnnxError(`${label}: cannot differentiate with respect to "${w}": it is not a floating-point tensor`);
  }
  if (!isFloatMeta(metas.get(opts.objective))) {
    throw new OnnxError(`${label}: the objective "${opts.objective}" is not a floating-point tensor`);
  }

  const diffInputs = (n: NodeProto): number[] => {
    const fixed = DIFFERENTIABLE_INPUTS[opOf(n)];
    return fixed ?? inputsOf(n).map((_, i) => i);
  };

  // forward: tensors that depend on a wrt tensor through float values (also through inputs no rule
  // differentiates, so that such a path is refused below rather than silently dropped)
  const active = new Set<string>(opts.wrt);
  for (const n of nodes) {
    if (isNonDifferentiable(n)) continue;
    if (!inputsOf(n).some((x) => x && active.has(x))) continue;
    for (const o of outputsOf(n)) if (o && isFloatMeta(metas.get(o))) active.add(o);
  }
  // backward: active tensors the objective depends on (an inactive objective has no active inputs to mark, as a
  // tensor is active when an input of its node that carries gradient is)
  const needed = new Set<string>([opts.objective]);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (!outputsOf(n).some((o) => needed.has(o))) continue;
    if (isNonDifferentiable(n)) continue;
    const ins = inputsOf(n);
    refuseUndifferentiatedPath(n, k, active, diffInputs(n), label, opts.wrt);
    for (const i of diffInputs(n)) if (ins[i] && active.has(ins[i])) needed.add(ins[i]);
  }

  const contributions = new Map<string, string[]>();
  const addGrad = (name: string, g: string): void => {
    const list = contributions.get(name) ?? [];
    list.push(g);
    contributions.set(name, list);
  };
  const gradOf = (name: string): string | null => {
    const list = contributions.get(name);
    if (!list) return null; // a list is created with its first gradient
    if (list.length > 1) {
      const s = b.op1('Sum', list);
      contributions.set(name, [s]);
      return s;
    }
    return list[0];
  };

  const ctx = new GradContext(b, metas as Map<string, TensorMeta>, constants, label);
  const objMeta = metas.get(opts.objective)!;
  // ones of the objective's shape (of a scalar's empty shape: the scalar 1)
  const seed = filledLike(b, opts.objective, objMeta.dtype, 1);
  addGrad(opts.objective, seed);

  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    const outs = outputsOf(n);
    if (!outs.some((o) => needed.has(o))) continue;
    if (isNonDifferentiable(n)) continue;
    const gs = outs.map((o) => (needed.has(o) ? gradOf(o) : null));
    // Every rule returns a gradient for each input it is asked for, so a needed output always has one, and a
    // node with a needed output has a needed input (that is what made the output active): both guards are defensive.
    if (gs.every((g) => g === null)) continue;
    const ins = inputsOf(n);
    const allowed = new Set(diffInputs(n));
    const need = ins.map((x, i) => !!x && allowed.has(i) && needed.has(x));
    if (!need.some(Boolean)) continue;
    const standard = !n.domain || n.domain === 'ai.onnx';
    const rule = standard ? RULES[opOf(n)] : undefined;
    ctx.node = n;
    ctx.nodeLabel = nodeLabel(n, k);
    if (!standard) {
      throw new OnnxError(`${label}: no gradient rule for op "${n.opType}" of domain "${n.domain}" (${nodeLabel(n, k)}); export the model without contrib-op fusion`);
    }
    if (!rule) {
      throw new OnnxError(`${label}: no gradient rule for op "${n.opType}" (${nodeLabel(n, k)}), which lies between the objective and ${[...wrtSet].map((w) => `"${w}"`).join(', ')}`);
    }
    const res = rule(ctx, gs, need);
    ins.forEach((x, i) => {
      const g = res[i];
      if (need[i] && g) addGrad(x, g);
    });
  }

  for (const w of opts.wrt) {
    const g = gradOf(w) ?? filledLike(b, w, metas.get(w)!.dtype, 0);
    const name = `${GRAD_PREFIX}${w}`;
    b.reserve(name);
    b.op('Identity', [g], {}, [name]);
    graph.output.push({ name, type: { tensorType: { elemType: metas.get(w)!.dtype } } });
  }
  return out;
}
