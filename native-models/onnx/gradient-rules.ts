// Reverse-mode rules: given the gradients of a node's outputs, emit the gradients of the inputs asked for.
import { GradContext } from './grad-context';
import { attrFloat, attrInt, attrInts, getAttr, DT } from './tensors';

/** g[i] = gradient of output i (null when no gradient reaches it); need[i] = input i wants a gradient. */
export type GradRule = (c: GradContext, g: (string | null)[], need: boolean[]) => (string | null)[];

const broadcast = GradContext.broadcast;

function inp(c: GradContext, i: number): string {
  return c.node.input![i];
}
function out(c: GradContext, i: number): string {
  return c.node.output![i];
}
function one(c: GradContext, g: (string | null)[]): string {
  if (!g[0]) c.fail('internal: no output gradient');
  return g[0];
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Gradient of an op that picks elements of input 0 (Slice, Gather...): scatter-add g back through positions. */
function selectionGrad(c: GradContext, g: string): string {
  const x = inp(c, 0);
  const size = c.op('Size', [x]);
  const range = c.op('Range', [c.b.scalar(DT.INT64, 0), size, c.b.scalar(DT.INT64, 1)]);
  const pos = c.op('Reshape', [range, c.shape(x)]);
  const [picked] = c.sameOp([pos, ...c.inputs.slice(1)]);
  return scatterAddLike(c, x, picked, g);
}

/** Adds g's elements into zeros shaped like x at the flat positions idx (idx and g of one size, any shape). */
function scatterAddLike(c: GradContext, x: string, idx: string, g: string): string {
  const flat = (t: string): string => c.op('Reshape', [t, c.ints([-1])]);
  const acc = c.op('ScatterElements', [flat(c.zerosLike(x)), flat(idx), flat(g)], { axis: 0, reduction: 'add' });
  return c.reshapeLike(acc, x);
}

function reduceAxes(c: GradContext): { axes: number[] | null; keepdims: number; noop: number } {
  const keepdims = attrInt(c.node, 'keepdims', 1);
  const noop = attrInt(c.node, 'noop_with_empty_axes', 0);
  let axes = attrInts(c.node, 'axes');
  const axesInput = c.optionalInput(1);
  if (axesInput) axes = c.constValues(axesInput, 'reduction axes');
  if (axes && axes.length === 0) axes = null;
  return { axes, keepdims, noop };
}

/** Output gradient of a reduction broadcast back to the input's shape. */
function expandReduced(c: GradContext, gy: string): string {
  const x = inp(c, 0);
  const { axes, noop } = reduceAxes(c);
  if (!axes && noop) return gy;
  return c.op('Expand', [unsqueezeReduced(c, gy), c.shape(x)]);
}

/** A reduction's output (or its gradient) with the reduced axes put back when keepdims=0. */
function unsqueezeReduced(c: GradContext, t: string): string {
  const x = inp(c, 0);
  const { axes, keepdims } = reduceAxes(c);
  if (!keepdims && axes) return c.op('Unsqueeze', [t, c.ints(axes.map((a) => normAxis(a, c.rank(x))))]);
  return t;
}

function sizeRatio(c: GradContext, x: string, y: string): string {
  const dt = c.dtype(x);
  return c.op('Div', [c.op('Cast', [c.op('Size', [y])], { to: dt }), c.op('Cast', [c.op('Size', [x])], { to: dt })]);
}

function castToFloat(c: GradContext, t: string, like: string): string {
  return c.dtype(t) === c.dtype(like) ? t : c.op('Cast', [t], { to: c.dtype(like) });
}

function swapLast(c: GradContext, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return c.op('Transpose', [x], { perm });
}

const matmul: GradRule = (c, g, need) => {
  const gy = one(c, g);
  let a = inp(c, 0);
  let b = inp(c, 1);
  let ad = c.dims(a);
  let bd = c.dims(b);
  let gg = gy;
  const aVec = ad.length === 1;
  const bVec = bd.length === 1;
  if (aVec) {
    a = c.op('Unsqueeze', [a, c.ints([0])]);
    ad = [1, ...ad];
    gg = c.op('Unsqueeze', [gg, c.ints([-2])]);
  }
  if (bVec) {
    // Stryker disable next-line UnaryOperator: axis 1 of a vector is its last (-1)
    b = c.op('Unsqueeze', [b, c.ints([-1])]);
    bd = [...bd, 1];
    gg = c.op('Unsqueeze', [gg, c.ints([-1])]);
  }
  const batch = broadcast(ad.slice(0, -2), bd.slice(0, -2));
  const ra = ad.length;
  const rb = bd.length;
  let da: string | null = null;
  let db: string | null = null;
  if (need[0]) {
    // dA = g · Bᵀ, summed over the batch dimensions A was broadcast along
    const raw = c.op('MatMul', [gg, swapLast(c, b, rb)]);
    da = rb === 2 && !aVec ? raw : c.reduceTo(raw, [...batch, ad[ra - 2], ad[ra - 1]], inp(c, 0));
  }
  if (need[1]) {
    if (rb === 2) {
      // weight-like B: fold A's leading dimensions into rows, so one GEMM gives the summed gradient
      // (at rank 2 the Flattens change nothing, and the Reshape matters for a vector B only)
      const af = c.op('Flatten', [a], { axis: ra - 1 });
      const gf = c.op('Flatten', [gg], { axis: ra - 1 });
      // Stryker disable next-line ObjectLiteral: [1, 0] is Transpose's default (reversed axes) for rank 2
      db = c.reshapeLike(c.op('MatMul', [c.op('Transpose', [af], { perm: [1, 0] }), gf]), inp(c, 1));
    } else {
      // (a vector B has rank 2 here, so it took the branch above)
      const raw = c.op('MatMul', [swapLast(c, a, ra), gg]);
      db = c.reduceTo(raw, [...batch, bd[rb - 2], bd[rb - 1]], inp(c, 1));
    }
  }
  return [da, db];
};

const add: GradRule = (c, g, need) => {
  const gy = one(c, g);
  const od = c.dims(out(c, 0));
  return [need[0] ? c.reduceTo(gy, od, inp(c, 0)) : null, need[1] ? c.reduceTo(gy, od, inp(c, 1)) : null];
};

const sub: GradRule = (c, g, need) => {
  const gy = one(c, g);
  const od = c.dims(out(c, 0));
  return [need[0] ? c.reduceTo(gy, od, inp(c, 0)) : null, need[1] ? c.reduceTo(c.op('Neg', [gy]), od, inp(c, 1)) : null];
};

const mul: GradRule = (c, g, need) => {
  const gy = one(c, g);
  const od = c.dims(out(c, 0));
  const [a, b] = [inp(c, 0), inp(c, 1)];
  return [
    need[0] ? c.reduceTo(c.op('Mul', [gy, b]), od, a) : null,
    need[1] ? c.reduceTo(c.op('Mul', [gy, a]), od, b) : null,
  ];
};

const div: GradRule = (c, g, need) => {
  const gy = one(c, g);
  const od = c.dims(out(c, 0));
  const [a, b] = [inp(c, 0), inp(c, 1)];
  const ga = c.op('Div', [gy, b]); // a rule runs only when one of its inputs is needed
  return [
    need[0] ? c.reduceTo(ga, od, a) : null,
    need[1] ? c.reduceTo(c.op('Neg', [c.op('Mul', [ga, out(c, 0)])]), od, b) : null,
  ];
};

const pow: GradRule = (c, g, need) => {
  const gy = one(c, g);
  const od = c.dims(out(c, 0));
  const [a, b] = [inp(c, 0), inp(c, 1)];
  let da: string | null = null;
  if (need[0]) {
    // Stryker disable next-line StringLiteral: error text, unreachable (b is a constant here)
    const exp = c.isConstant(b) ? c.constValues(b, 'exponent') : null;
    const dt = c.dtype(a);
    if (exp && exp.length === 1 && exp[0] === 2) da = c.op('Mul', [gy, c.op('Mul', [a, c.scalar(dt, 2)])]);
    else if (exp && exp.length === 1 && exp[0] === 1) da = gy;
    else {
      const bf = castToFloat(c, b, a);
      da = c.op('Mul', [gy, c.op('Mul', [bf, c.op('Pow', [a, c.op('Sub', [bf, c.scalar(dt, 1)])])])]);
    }
    da = c.reduceTo(da, od, a);
  }
  const db = need[1] ? c.reduceTo(c.op('Mul', [gy, c.op('Mul', [out(c, 0), c.op('Log', [a])])]), od, b) : null;
  return [da, db];
};

const unary = (f: (c: GradContext, gy: string, x: string, y: string) => string): GradRule => (c, g) => [
  f(c, one(c, g), inp(c, 0), out(c, 0)),
];

function minMax(isMax: boolean): GradRule {
  return (c, g, need) => {
    const gy = one(c, g);
    const ins = c.inputs;
    if (ins.length === 1) return [gy];
    if (ins.length !== 2) c.fail(`gradient of ${c.node.opType} with ${ins.length} inputs is not supported (use 2)`);
    const [a, b] = [ins[0], ins[1]];
    const od = c.dims(out(c, 0));
    const zero = c.scalar(c.dtype(out(c, 0)), 0);
    // ties go to the first input, like clamp_min(x, eps) in torch
    const aWins = c.op(isMax ? 'GreaterOrEqual' : 'LessOrEqual', [a, b]);
    return [
      need[0] ? c.reduceTo(c.op('Where', [aWins, gy, zero]), od, a) : null,
      need[1] ? c.reduceTo(c.op('Where', [aWins, zero, gy]), od, b) : null,
    ];
  };
}

const softmax: GradRule = (c, g) => {
  const gy = one(c, g);
  const y = out(c, 0);
  const axis = attrInt(c.node, 'axis', -1);
  // Stryker disable next-line ObjectLiteral: keepdims 1 is ReduceSum's default
  const s = c.op('ReduceSum', [c.op('Mul', [gy, y]), c.ints([axis])], { keepdims: 1 });
  return [c.op('Mul', [y, c.op('Sub', [gy, s])])];
};

const logSoftmax: GradRule = (c, g) => {
  const gy = one(c, g);
  const axis = attrInt(c.node, 'axis', -1);
  // Stryker disable next-line ObjectLiteral: keepdims 1 is ReduceSum's default
  const s = c.op('ReduceSum', [gy, c.ints([axis])], { keepdims: 1 });
  return [c.op('Sub', [gy, c.op('Mul', [c.op('Exp', [out(c, 0)]), s])])];
};

const layerNorm: GradRule = (c, g, need) => {
  const gy = one(c, g);
  const x = inp(c, 0);
  const scale = inp(c, 1);
  const bias = c.optionalInput(2);
  const r = c.rank(x);
  const axis = normAxis(attrInt(c.node, 'axis', -1), r);
  const eps = attrFloat(c.node, 'epsilon', 1e-5);
  const dt = c.dtype(x);
  const axes = c.ints(Array.from({ length: r - axis }, (_, i) => axis + i));
  const mean = (t: string): string => {
    // Stryker disable next-line ObjectLiteral: keepdims 1 is ReduceSum's default
    const s = c.op('ReduceSum', [t, axes], { keepdims: 1 });
    return c.op('Mul', [s, invN]);
  };
  // Stryker disable next-line ObjectLiteral: keepdims 1 is ReduceSum's default
  const invN = sizeRatio(c, x, c.op('ReduceSum', [x, axes], { keepdims: 1 }));
  const xc = c.op('Sub', [x, mean(x)]);
  const variance = mean(c.op('Mul', [xc, xc]));
  const rstd = c.op('Reciprocal', [c.op('Sqrt', [c.op('Add', [variance, c.scalar(dt, eps)])])]);
  const xhat = c.op('Mul', [xc, rstd]);
  const od = c.dims(out(c, 0));
  let dx: string | null = null;
  if (need[0]) {
    const dxhat = c.op('Mul', [gy, scale]);
    const t = c.op('Sub', [c.op('Sub', [dxhat, mean(dxhat)]), c.op('Mul', [xhat, mean(c.op('Mul', [dxhat, xhat]))])]);
    dx = c.op('Mul', [rstd, t]);
  }
  const dscale = need[1] ? c.reduceTo(c.op('Mul', [gy, xhat]), od, scale) : null;
  const dbias = need[2] && bias ? c.reduceTo(gy, od, bias) : null;
  return [dx, dscale, dbias];
};

const gemm: GradRule = (c, g, need) => {
  const gy = one(c, g);
  const [a, b] = [inp(c, 0), inp(c, 1)];
  const cc = c.optionalInput(2);
  const alpha = attrFloat(c.node, 'alpha', 1);
  const beta = attrFloat(c.node, 'beta', 1);
  const tA = attrInt(c.node, 'transA', 0);
  const tB = attrInt(c.node, 'transB', 0);
  const da = need[0]
    ? tA
      ? c.op('Gemm', [b, gy], { alpha: { float: alpha }, transA: tB, transB: 1 })
      : c.op('Gemm', [gy, b], { alpha: { float: alpha }, transA: 0, transB: tB ? 0 : 1 })
    : null;
  const db = need[1]
    ? tB
      ? c.op('Gemm', [gy, a], { alpha: { float: alpha }, transA: 1, transB: tA })
      : c.op('Gemm', [a, gy], { alpha: { float: alpha }, transA: tA ? 0 : 1, transB: 0 })
    : null;
  let dc: string | null = null;
  if (need[2] && cc) {
    const scaled = beta === 1 ? gy : c.op('Mul', [gy, c.scalar(c.dtype(cc), beta)]);
    dc = c.reduceTo(scaled, c.dims(out(c, 0)), cc);
  }
  return [da, db, dc];
};

const transpose: GradRule = (c, g) => {
  const gy = one(c, g);
  const perm = attrInts(c.node, 'perm');
  if (!perm) return [c.op('Transpose', [gy])];
  // Stryker disable next-line ArrayDeclaration: every entry is assigned below
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return [c.op('Transpose', [gy], { perm: inv })];
};

const reshapeBack: GradRule = (c, g) => [c.reshapeLike(one(c, g), inp(c, 0))];

const concat: GradRule = (c, g, need) => {
  const gy = one(c, g);
  const ins = c.inputs;
  const r = c.rank(out(c, 0));
  const axis = normAxis(attrInt(c.node, 'axis', 0), r);
  const sizes = ins.map((x) => c.op('Slice', [c.shape(x), c.ints([axis]), c.ints([axis + 1])]));
  const split = c.op('Concat', sizes, { axis: 0 });
  const parts = c.b.op('Split', [gy, split], { axis }, ins.length);
  return ins.map((_, i) => (need[i] ? parts[i] : null));
};

const split: GradRule = (c, g) => {
  const outs = c.outputs;
  const axis = attrInt(c.node, 'axis', 0);
  const parts = outs.map((o, i) => g[i] ?? c.zerosLike(o));
  return [c.op('Concat', parts, { axis })];
};

const where: GradRule = (c, g, need) => {
  const gy = one(c, g);
  const cond = inp(c, 0);
  const [x, y] = [inp(c, 1), inp(c, 2)];
  const od = c.dims(out(c, 0));
  const zero = c.scalar(c.dtype(out(c, 0)), 0);
  return [
    null,
    need[1] ? c.reduceTo(c.op('Where', [cond, gy, zero]), od, x) : null,
    need[2] ? c.reduceTo(c.op('Where', [cond, zero, gy]), od, y) : null,
  ];
};

const conv: GradRule = (c, g, need) => {
  const gy = one(c, g);
  const [x, w] = [inp(c, 0), inp(c, 1)];
  const bias = c.optionalInput(2);
  const xd = c.dims(x);
  const wd = c.dims(w);
  const yd = c.dims(out(c, 0));
  const nsp = xd.length - 2;
  const kernel = wd.slice(2);
  const { strides, dil, pads } = windowGeometry(c, kernel);
  const group = attrInt(c.node, 'group', 1);
  let dx: string | null = null;
  if (need[0]) {
    const outPad = Array.from({ length: nsp }, (_, i) => {
      const produced = strides[i] * (yd[2 + i] - 1) + (kernel[i] - 1) * dil[i] + 1 - pads[i] - pads[nsp + i];
      return xd[2 + i] - produced;
    });
    if (outPad.some((p, i) => p < 0 || p >= Math.max(strides[i], dil[i]))) c.fail('cannot invert the Conv geometry for the input gradient');
    dx = c.op('ConvTranspose', [gy, w], { strides, dilations: dil, pads, group, output_padding: outPad, kernel_shape: kernel });
  }
  let dw: string | null = null;
  if (need[1]) {
    if (group !== 1) c.fail(`the weight gradient of a grouped Conv (group=${group}) is not supported`);
    const perm = [1, 0, ...Array.from({ length: nsp }, (_, i) => i + 2)];
    const xt = c.op('Transpose', [x], { perm });
    const gt = c.op('Transpose', [gy], { perm });
    let r = c.op('Conv', [xt, gt], { strides: dil, dilations: strides, pads });
    r = c.op('Transpose', [r], { perm });
    dw = c.op('Slice', [r, c.ints(new Array(nsp).fill(0)), c.ints(kernel), c.ints(Array.from({ length: nsp }, (_, i) => i + 2))]);
  }
  const db = need[2] && bias ? c.op('ReduceSum', [gy, c.ints([0, ...Array.from({ length: nsp }, (_, i) => i + 2)])], { keepdims: 0 }) : null;
  return [dx, dw, db];
};

/**
 * The extent of input 0 along `axis`, and a constant position on it made non-negative and clamped
 * to [0, extent] at run time (the axis may be dynamic: a text tail runs at every sequence length).
 */
function runTimeAxis(c: GradContext, axis: number): { size: string; at: (v: number) => string } {
  // Stryker disable next-line ObjectLiteral: axis 0 is Gather's default
  const size = c.op('Gather', [c.shape(inp(c, 0)), c.ints([axis])], { axis: 0 });
  const zero = c.ints([0]);
  const at = (v: number): string => {
    const big = Math.abs(v) >= 2 ** 31;
    const raw = big ? (v > 0 ? size : zero) : v < 0 ? c.op('Add', [size, c.ints([v])]) : c.ints([v]);
    return c.op('Min', [c.op('Max', [raw, zero]), size]);
  };
  return { size, at };
}

/** Zero-pads g back to input 0's shape: begin[a] / end[a] elements before / after it on each axis (int64 [1] tensors, or null for 0). */
function padBack(c: GradContext, g: string, begin: (string | null)[], end: (string | null)[]): string {
  const zero = c.ints([0]);
  const pads = c.op('Concat', [...begin.map((b) => b ?? zero), ...end.map((e) => e ?? zero)], { axis: 0 });
  return c.op('Pad', [g, pads]);
}

/**
 * Slice with constant starts, ends, axes and unit steps (a row or a range of tokens): the gradient is
 * g zero-padded back, instead of the general scatter over every position of the input.
 */
function sliceByPad(c: GradContext, g: string): string | null {
  const ins = c.inputs;
  const x = inp(c, 0);
  const r = c.rank(x);
  // Stryker disable next-line StringLiteral: error text, unreachable (only constants are read)
  const consts = [1, 2, 3, 4].map((i) => (ins[i] ? (c.isConstant(ins[i]) ? c.constValues(ins[i], 'Slice input') : undefined) : null));
  if (consts.some((v) => v === undefined)) return null;
  const [starts, ends, axesIn, steps] = consts as (number[] | null)[];
  if (!starts || !ends || (steps && steps.some((s) => s !== 1))) return null;
  const axes = (axesIn ?? starts.map((_, i) => i)).map((a) => normAxis(a, r));
  const begin: (string | null)[] = new Array(r).fill(null);
  const end: (string | null)[] = new Array(r).fill(null);
  axes.forEach((a, k) => {
    const ax = runTimeAxis(c, a);
    const s = ax.at(starts[k]);
    const e = c.op('Max', [ax.at(ends[k]), s]);
    begin[a] = s;
    end[a] = c.op('Sub', [ax.size, e]);
  });
  return padBack(c, g, begin, end);
}

/** Gather of one constant position (CLS at 0, the last token at -1): g put back at that position, zeros elsewhere. */
function gatherByPad(c: GradContext, g: string): string | null {
  const idx = inp(c, 1);
  if (!c.isConstant(idx) || c.rank(idx) !== 0) return null;
  // Stryker disable next-line StringLiteral: error text, unreachable (idx is a constant here)
  const k = c.constValues(idx, 'Gather index')[0];
  const x = inp(c, 0);
  const r = c.rank(x);
  const axis = normAxis(attrInt(c.node, 'axis', 0), r);
  const ax = runTimeAxis(c, axis);
  const at = k < 0 ? c.op('Add', [ax.size, c.ints([k])]) : c.ints([k]);
  const begin: (string | null)[] = new Array(r).fill(null);
  const end: (string | null)[] = new Array(r).fill(null);
  begin[axis] = at;
  end[axis] = c.op('Sub', [c.op('Sub', [ax.size, at]), c.ints([1])]);
  return padBack(c, c.op('Unsqueeze', [g, c.ints([axis])]), begin, end);
}

const selection: GradRule = (c, g) => {
  const gy = one(c, g);
  const op = c.node.opType;
  return [(op === 'Slice' ? sliceByPad(c, gy) : op === 'Gather' ? gatherByPad(c, gy) : null) ?? selectionGrad(c, gy)];
};

const variadicSum: GradRule = (c, g, need) => {
  const gy = one(c, g);
  const od = c.dims(out(c, 0));
  return c.inputs.map((x, i) => (need[i] ? c.reduceTo(gy, od, x) : null));
};

const clip: GradRule = (c, g) => {
  const gy = one(c, g);
  const x = inp(c, 0);
  const zero = c.scalar(c.dtype(x), 0);
  // gradient passes where the value was not clamped (min <= x <= max), as torch.clamp
  const lo = c.optionalInput(1);
  const hi = c.optionalInput(2);
  let mask: string | null = null;
  if (lo) mask = c.op('GreaterOrEqual', [x, lo]);
  if (hi) {
    const m = c.op('LessOrEqual', [x, hi]);
    mask = mask ? c.op('And', [mask, m]) : m;
  }
  if (!mask) return [gy];
  return [c.op('Where', [mask, gy, zero])];
};

/** Inference-mode BatchNormalization: y = (x − mean) / √(var + ε) · scale + bias, per channel (axis 1). */
const batchNorm: GradRule = (c, g, need) => {
  const gy = one(c, g);
  if (attrInt(c.node, 'training_mode', 0)) c.fail('BatchNormalization in training mode is not supported (export the model in eval mode)');
  const [x, scale, , mean, variance] = [0, 1, 2, 3, 4].map((i) => inp(c, i));
  const dt = c.dtype(x);
  const r = c.rank(x);
  const chan = (t: string): string => (r > 2 ? c.op('Unsqueeze', [t, c.ints(Array.from({ length: r - 2 }, (_, i) => i + 1))]) : t);
  const otherAxes = c.ints([0, ...Array.from({ length: r - 2 }, (_, i) => i + 2)]);
  const sumOther = (t: string): string => c.op('ReduceSum', [t, otherAxes], { keepdims: 0 });
  const invStd = c.op('Reciprocal', [c.op('Sqrt', [c.op('Add', [variance, c.scalar(dt, attrFloat(c.node, 'epsilon', 1e-5))])])]);
  const k = c.op('Mul', [scale, invStd]);
  const xc = c.op('Sub', [x, chan(mean)]);
  // Stryker disable next-line ArrayDeclaration: an entry left unset (undefined) reads as no gradient too
  const res: (string | null)[] = [null, null, null, null, null];
  if (need[0]) res[0] = c.op('Mul', [gy, chan(k)]);
  if (need[1]) res[1] = sumOther(c.op('Mul', [gy, c.op('Mul', [xc, chan(invStd)])]));
  if (need[2]) res[2] = sumOther(gy);
  if (need[3]) res[3] = c.op('Neg', [c.op('Mul', [sumOther(gy), k])]);
  if (need[4]) {
    const factor = c.op('Mul', [c.op('Mul', [k, c.op('Mul', [invStd, invStd])]), c.scalar(dt, -0.5)]);
    res[4] = c.op('Mul', [sumOther(c.op('Mul', [gy, xc])), factor]);
  }
  return res;
};

/** Strides, dilations and explicit pads of a windowed op (Conv, pooling); auto_pad is resolved from the probe's shapes. */
function windowGeometry(c: GradContext, kernel: number[]): { strides: number[]; dil: number[]; pads: number[] } {
  const xd = c.dims(inp(c, 0));
  const yd = c.dims(out(c, 0));
  const nsp = xd.length - 2;
  const strides = attrInts(c.node, 'strides') ?? new Array(nsp).fill(1);
  const dil = attrInts(c.node, 'dilations') ?? new Array(nsp).fill(1);
  const autoPadAttr = getAttr(c.node, 'auto_pad');
  const autoPad = autoPadAttr?.s ? Buffer.from(autoPadAttr.s).toString() : 'NOTSET';
  if (autoPad === 'NOTSET') return { strides, dil, pads: attrInts(c.node, 'pads') ?? new Array(2 * nsp).fill(0) };
  const pads = new Array<number>(2 * nsp).fill(0); // VALID
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    for (let i = 0; i < nsp; i++) {
      const total = Math.max(0, (yd[2 + i] - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1 - xd[2 + i]);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[nsp + i] = total - pads[i];
    }
  }
  return { strides, dil, pads };
}

function poolGeometry(c: GradContext): { kernel: number[]; strides: number[]; pads: number[]; dil: number[] } {
  const xd = c.dims(inp(c, 0));
  const yd = c.dims(out(c, 0));
  const nsp = xd.length - 2;
  const kernel = attrInts(c.node, 'kernel_shape') ?? c.fail('pooling without kernel_shape');
  const { strides, dil, pads } = windowGeometry(c, kernel);
  for (let i = 0; i < nsp; i++) {
    const floorOut = Math.floor((xd[2 + i] + pads[i] + pads[nsp + i] - ((kernel[i] - 1) * dil[i] + 1)) / strides[i]) + 1;
    if (floorOut !== yd[2 + i]) c.fail('pooling with ceil_mode that adds an output position is not supported for differentiation');
  }
  return { kernel, strides, pads, dil };
}

/** AveragePool as a depthwise convolution with a ones kernel, divided by the (padding-aware) window count. */
const averagePool: GradRule = (c, g) => {
  const gy = one(c, g);
  const x = inp(c, 0);
  const xd = c.dims(x);
  const yd = c.dims(out(c, 0));
  const nsp = xd.length - 2;
  const channels = xd[1];
  const { kernel, strides, pads, dil } = poolGeometry(c);
  const dt = c.dtype(x);
  const kSize = kernel.reduce((a, b) => a * b, 1);
  const ones = c.b.constant(dt, [channels, 1, ...kernel], new Array(channels * kSize).fill(1));
  const geo = { strides, pads, dilations: dil, group: channels, kernel_shape: kernel };
  let count: string;
  if (attrInt(c.node, 'count_include_pad', 0) || pads.every((p) => p === 0)) count = c.scalar(dt, kSize);
  else {
    count = c.op('Conv', [c.filledLike(x, 1), ones], geo);
  }
  const outPad = Array.from({ length: nsp }, (_, i) => xd[2 + i] - (strides[i] * (yd[2 + i] - 1) + (kernel[i] - 1) * dil[i] + 1 - pads[i] - pads[nsp + i]));
  return [c.op('ConvTranspose', [c.op('Div', [gy, count]), ones], { ...geo, output_padding: outPad })];
};

/** MaxPool: the gradient goes to the arg-max element of each window (its flat index from MaxPool's Indices). */
const maxPool: GradRule = (c, g) => {
  const gy = one(c, g);
  const x = inp(c, 0);
  poolGeometry(c);
  let indices: string | undefined = c.outputs[1];
  if (!indices) {
    indices = c.sameOp([x], 2)[1];
  }
  if (attrInt(c.node, 'storage_order', 0) !== 0) c.fail('MaxPool with column-major storage_order is not supported');
  return [scatterAddLike(c, x, indices, gy)];
};

/** Tile: sum the gradient over the copies, viewing each axis d·r as [r, d]. */
const tile: GradRule = (c, g) => {
  const gy = one(c, g);
  const x = inp(c, 0);
  const xd = c.dims(x);
  const reps = c.constValues(inp(c, 1), 'Tile repeats');
  // g viewed as [reps0, d0, reps1, d1, …]; the d's are read at run time (the probe's batch is not the runs')
  const column = (v: string): string => c.op('Unsqueeze', [v, c.ints([1])]);
  const split = c.op('Reshape', [c.op('Concat', [column(c.ints(reps)), column(c.shape(x))], { axis: 1 }), c.ints([-1])]);
  const r = c.op('Reshape', [gy, split]);
  // Stryker disable next-line ObjectLiteral: kept dimensions of 1 are reshaped away below
  const summed = c.op('ReduceSum', [r, c.ints(xd.map((_, i) => 2 * i))], { keepdims: 0 });
  return [c.reshapeLike(summed, x)];
};

/** Ops whose outputs carry no gradient (integer, boolean or piecewise-constant results). */
export const NON_DIFFERENTIABLE = new Set([
  // Integer or boolean results are never active anyway (only float tensors are), and these ops take no float
  // input that could be: listed so the set reads as the whole story.
  // Stryker disable next-line StringLiteral: integer or boolean outputs, never active
  'Shape', 'Size', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'ArgMax', 'ArgMin', 'NonZero', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf',
  // Stryker disable next-line StringLiteral: no float inputs (none, or an integer shape), so never active
  'Constant', 'ConstantOfShape', 'RandomNormal', 'RandomUniform',
  'Floor', 'Ceil', 'Round', 'Sign', 'EyeLike', 'RandomNormalLike', 'RandomUniformLike', 'Range', 'OneHot',
]);

/** Which inputs of an op can carry gradient (others are indices, shapes, axes, conditions). */
export const DIFFERENTIABLE_INPUTS: Record<string, number[]> = {
  Reshape: [0], Expand: [0], Squeeze: [0], Unsqueeze: [0], Slice: [0], Gather: [0], GatherElements: [0], GatherND: [0],
  Where: [1, 2], ReduceSum: [0], ReduceMean: [0], ReduceL2: [0], ReduceSumSquare: [0], Split: [0], Pow: [0, 1],
  Tile: [0], Pad: [0], Clip: [0], Dropout: [0],
};

export const RULES: Record<string, GradRule> = {
  MatMul: matmul,
  Gemm: gemm,
  Add: add,
  Sub: sub,
  Mul: mul,
  Div: div,
  Pow: pow,
  Neg: unary((c, g) => c.op('Neg', [g])),
  Sqrt: unary((c, g, _x, y) => c.op('Div', [c.op('Mul', [g, c.scalar(c.dtype(y), 0.5)]), y])),
  Reciprocal: unary((c, g, _x, y) => c.op('Neg', [c.op('Mul', [g, c.op('Mul', [y, y])])])),
  Exp: unary((c, g, _x, y) => c.op('Mul', [g, y])),
  Log: unary((c, g, x) => c.op('Div', [g, x])),
  Tanh: unary((c, g, _x, y) => c.op('Mul', [g, c.op('Sub', [c.scalar(c.dtype(y), 1), c.op('Mul', [y, y])])])),
  Sigmoid: unary((c, g, _x, y) => c.op('Mul', [g, c.op('Mul', [y, c.op('Sub', [c.scalar(c.dtype(y), 1), y])])])),
  Erf: unary((c, g, x) => {
    const dt = c.dtype(x);
    const e = c.op('Exp', [c.op('Neg', [c.op('Mul', [x, x])])]);
    return c.op('Mul', [g, c.op('Mul', [e, c.scalar(dt, 2 / Math.sqrt(Math.PI))])]);
  }),
  Gelu: unary((c, g, x) => geluGrad(c, g, x)),
  Relu: unary((c, g, x) => c.op('Where', [c.op('Greater', [x, c.scalar(c.dtype(x), 0)]), g, c.scalar(c.dtype(x), 0)])),
  Abs: unary((c, g, x) => c.op('Mul', [g, c.op('Sign', [x])])),
  Identity: unary((_c, g) => g),
  Dropout: unary((_c, g) => g),
  Cast: unary((c, g, x) => (c.dtype(x) === c.dtype(c.node.output![0]) ? g : c.op('Cast', [g], { to: c.dtype(x) }))),
  Softmax: softmax,
  LogSoftmax: logSoftmax,
  LayerNormalization: layerNorm,
  ReduceSum: unary((c, g) => expandReduced(c, g)),
  ReduceMean: unary((c, g, x, y) => c.op('Mul', [expandReduced(c, g), sizeRatio(c, x, y)])),
  ReduceL2: unary((c, g, x, y) => c.op('Mul', [expandReducedFrom(c, c.op('Div', [unsqueezeReduced(c, g), unsqueezeReduced(c, y)])), x])),
  ReduceSumSquare: unary((c, g, x) => c.op('Mul', [expandReduced(c, g), c.op('Mul', [x, c.scalar(c.dtype(x), 2)])])),
  Transpose: transpose,
  Reshape: reshapeBack,
  Flatten: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Concat: concat,
  Split: split,
  Slice: selection,
  Gather: selection,
  GatherElements: selection,
  GatherND: selection,
  Expand: (c, g) => [c.reduceTo(one(c, g), c.dims(out(c, 0)), inp(c, 0))],
  Where: where,
  Conv: conv,
  Sum: variadicSum,
  Max: minMax(true),
  Min: minMax(false),
  Clip: clip,
  BatchNormalization: batchNorm,
  AveragePool: averagePool,
  GlobalAveragePool: unary((c, g, x, y) => c.op('Mul', [c.op('Expand', [g, c.shape(x)]), sizeRatio(c, x, y)])),
  MaxPool: maxPool,
  Sin: unary((c, g, x) => c.op('Mul', [g, c.op('Cos', [x])])),
  Cos: unary((c, g, x) => c.op('Neg', [c.op('Mul', [g, c.op('Sin', [x])])])),
  LeakyRelu: unary((c, g, x) => {
    const dt = c.dtype(x);
    const slope = attrFloat(c.node, 'alpha', 0.01);
    return c.op('Where', [c.op('Greater', [x, c.scalar(dt, 0)]), g, c.op('Mul', [g, c.scalar(dt, slope)])]);
  }),
  Softplus: unary((c, g, x) => c.op('Mul', [g, c.op('Sigmoid', [x])])),
  Tile: tile,
  Mean: (c, g, need) => {
    const gy = one(c, g);
    const ins = c.inputs;
    const scaled = c.op('Mul', [gy, c.scalar(c.dtype(out(c, 0)), 1 / ins.length)]);
    return ins.map((x, i) => (need[i] ? c.reduceTo(scaled, c.dims(out(c, 0)), x) : null));
  },
};

/** Gelu (opset 20): exact erf form, or the tanh approximation. */
function geluGrad(c: GradContext, g: string, x: string): string {
  const dt = c.dtype(x);
  const k = (v: number): string => c.scalar(dt, v);
  const approx = getAttr(c.node, 'approximate');
  const tanhForm = approx?.s ? Buffer.from(approx.s).toString() === 'tanh' : false;
  if (!tanhForm) {
    // d/dx [x·Φ(x)] = Φ(x) + x·φ(x)
    const cdf = c.op('Mul', [k(0.5), c.op('Add', [k(1), c.op('Erf', [c.op('Mul', [x, k(Math.SQRT1_2)])])])]);
    const pdf = c.op('Mul', [k(1 / Math.sqrt(2 * Math.PI)), c.op('Exp', [c.op('Mul', [c.op('Mul', [x, x]), k(-0.5)])])]);
    return c.op('Mul', [g, c.op('Add', [cdf, c.op('Mul', [x, pdf])])]);
  }
  // y = 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³)
  const a = Math.sqrt(2 / Math.PI);
  const x2 = c.op('Mul', [x, x]);
  const u = c.op('Mul', [k(a), c.op('Add', [x, c.op('Mul', [k(0.044715), c.op('Mul', [x2, x])])])]);
  const t = c.op('Tanh', [u]);
  const du = c.op('Mul', [k(a), c.op('Add', [k(1), c.op('Mul', [k(3 * 0.044715), x2])])]);
  const sech2 = c.op('Sub', [k(1), c.op('Mul', [t, t])]);
  const d = c.op('Add', [c.op('Mul', [k(0.5), c.op('Add', [k(1), t])]), c.op('Mul', [c.op('Mul', [k(0.5), x]), c.op('Mul', [sech2, du])])]);
  return c.op('Mul', [g, d]);
}

/** For ReduceL2: g/y is already unsqueezed to keepdims form, only expand it. */
function expandReducedFrom(c: GradContext, gu: string): string {
  return c.op('Expand', [gu, c.shape(inp(c, 0))]);
}
