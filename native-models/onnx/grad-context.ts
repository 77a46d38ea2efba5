// What a gradient rule sees: the forward node, shapes from the probe run, and helpers that emit ONNX ops.
import { GraphBuilder } from './builder';
import { OnnxError, type NodeProto, type TensorProto } from './model';
import { DT, makeTensor, tensorDims, tensorValues } from './tensors';

export interface TensorMeta {
  dtype: number; // ONNX data type
  dims: number[];
}

export class GradContext {
  constructor(
    readonly b: GraphBuilder,
    private readonly metas: Map<string, TensorMeta>,
    private readonly constants: Map<string, TensorProto>,
    readonly label: string,
  ) {}

  node!: NodeProto;
  nodeLabel = '';

  fail(why: string): never {
    throw new OnnxError(`${this.nodeLabel} in ${this.label}: ${why}`);
  }

  meta(name: string): TensorMeta {
    const m = this.metas.get(name);
    if (!m) this.fail(`no shape known for tensor "${name}" (the probe run did not produce it)`);
    return m;
  }

  dims(name: string): number[] {
    return this.meta(name).dims;
  }

  rank(name: string): number {
    return this.meta(name).dims.length;
  }

  dtype(name: string): number {
    return this.meta(name).dtype;
  }

  isConstant(name: string): boolean {
    return this.constants.has(name);
  }

  /** Values of a constant input (initializer or Constant node), e.g. axes; fails if it is computed at run time. */
  constValues(name: string, what: string): number[] {
    const t = this.constants.get(name);
    if (!t) this.fail(`${what} ("${name}") must be a constant for differentiation`);
    return tensorValues(t);
  }

  /** The node's inputs ('' for an omitted optional one) and outputs. */
  get inputs(): string[] {
    return this.node.input ?? [];
  }

  get outputs(): string[] {
    return this.node.output ?? [];
  }

  /** Emits the node's own op, with its attributes, on other inputs (e.g. positions instead of values). */
  sameOp(inputs: string[], outputs = 1): string[] {
    const outs = this.b.op(this.node.opType!, inputs, {}, outputs);
    this.b.nodes[this.b.nodes.length - 1].attribute = [...(this.node.attribute ?? [])];
    return outs;
  }

  optionalInput(i: number): string | null {
    const n = this.node.input?.[i];
    return n ? n : null;
  }

  // ---- emitters -------------------------------------------------------------------------------
  op(opType: string, inputs: string[], attrs: Parameters<GraphBuilder['op1']>[2] = {}): string {
    return this.b.op1(opType, inputs, attrs);
  }

  scalar(dtype: number, v: number): string {
    return this.b.scalar(dtype, v);
  }

  ints(v: number[]): string {
    return this.b.ints(v);
  }

  shape(x: string): string {
    return this.op('Shape', [x]);
  }

  zerosLike(x: string): string {
    return this.filledLike(x, 0);
  }

  /** A tensor of x's run-time shape and type filled with v. */
  filledLike(x: string, v: number): string {
    return this.op('ConstantOfShape', [this.shape(x)], { value: makeTensor('value', this.dtype(x), [1], [v]) });
  }

  reshapeLike(g: string, x: string): string {
    return this.op('Reshape', [g, this.shape(x)]);
  }

  /**
   * Sums a gradient of broadcast shape `gDims` (probe shape) back to the shape of `x`. Constants have fixed
   * shapes, so their axes are decided here; for run-time tensors that could broadcast (a 1 in the probe
   * shape, or a lower rank) the axes are computed in the graph from the actual shapes.
   */
  reduceTo(g: string, gDims: number[], x: string): string {
    const xd = this.dims(x);
    const lead = gDims.length - xd.length;
    if (lead < 0) this.fail(`gradient of rank ${gDims.length} cannot be reduced to "${x}" of rank ${xd.length}`);
    if (this.isConstant(x)) {
      const axes: number[] = [];
      for (let i = 0; i < lead; i++) axes.push(i);
      // Summing over an axis that is 1 on both sides is harmless, and the probe may have had 1 where runs do not.
      xd.forEach((d, i) => {
        if (d === 1) axes.push(lead + i);
      });
      if (axes.length === 0) return g;
      const r = this.op('ReduceSum', [g, this.ints(axes)], { keepdims: 1 });
      return lead > 0 ? this.op('Reshape', [r, this.ints(xd)]) : r;
    }
    if (lead === 0 && !xd.includes(1) && xd.every((d, i) => d === gDims[i])) return g;
    let xs = this.shape(x);
    if (lead > 0) xs = this.op('Concat', [this.ints(new Array(lead).fill(1)), xs], { axis: 0 });
    const mask = this.op('Equal', [xs, this.ints([1])]);
    const axes = this.op('Reshape', [this.op('NonZero', [mask]), this.ints([-1])]);
    const r = this.op('ReduceSum', [g, axes], { keepdims: 1, noop_with_empty_axes: 1 });
    return this.op('Reshape', [r, this.shape(x)]);
  }

  /** Broadcast result shape of several probe shapes (numpy rules). */
  static broadcast(...shapes: number[][]): number[] {
    const r = Math.max(...shapes.map((s) => s.length));
    const out: number[] = [];
    for (let i = 0; i < r; i++) {
      let d = 1;
      for (const s of shapes) {
        const v = s[s.length - r + i] ?? 1;
        if (v !== 1) d = v;
      }
      out.push(d);
    }
    return out;
  }
}

export function initializerMeta(t: TensorProto): TensorMeta {
  return { dtype: t.dataType ?? DT.FLOAT, dims: tensorDims(t) };
}
