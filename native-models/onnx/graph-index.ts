/**
 * Read-only lookups over an ONNX graph's nodes (who produces a tensor, who reads it, which
 * tensors are constants, what a tensor is computed from), shared by the code that recognises a
 * model's structure by its shape rather than by its names.
 */
import type { GraphProto, NodeProto, TensorProto } from './model';
import { getAttr, tensorValues } from './tensors';

export class GraphIndex {
  readonly nodes: NodeProto[];
  private readonly producer = new Map<string, NodeProto>();
  private readonly readers = new Map<string, NodeProto[]>();
  private readonly constTensors = new Map<string, TensorProto>();
  readonly initializers: Set<string>;

  constructor(g: GraphProto) {
    this.nodes = g.node ?? [];
    this.initializers = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
    for (const t of g.initializer ?? []) if (t.name) this.constTensors.set(t.name, t);
    for (const n of this.nodes) {
      for (const o of n.output ?? []) if (o) this.producer.set(o, n);
      for (const i of n.input ?? []) {
        if (!i) continue;
        const list = this.readers.get(i) ?? [];
        list.push(n);
        this.readers.set(i, list);
      }
      if (n.opType === 'Constant' && n.output?.[0]) {
        const v = getAttr(n, 'value')?.t;
        if (v) this.constTensors.set(n.output[0], v);
      }
    }
  }

  producerOf(name: string): NodeProto | undefined {
    return this.producer.get(name);
  }

  consumersOf(name: string): NodeProto[] {
    return this.readers.get(name) ?? [];
  }

  /** An initializer or a Constant node's output. */
  isConstant(name: string): boolean {
    return this.constTensors.has(name) || this.initializers.has(name);
  }

  /** The values of a constant tensor, or null (computed at run time, or not numeric). */
  constantValues(name: string): number[] | null {
    const t = this.constTensors.get(name);
    if (!t) return null;
    try {
      return tensorValues(t);
    } catch {
      return null;
    }
  }

  /** Tensors computed (transitively) from `from`, `from` included. */
  forwardClosure(from: string): Set<string> {
    const reach = new Set([from]);
    for (const n of this.nodes) if ((n.input ?? []).some((i) => reach.has(i))) for (const o of n.output ?? []) if (o) reach.add(o);
    return reach;
  }

  /** Like forwardClosure, but not through Shape/Size: the data computed from `from`, not the shapes read from it. */
  dataClosure(from: string): Set<string> {
    const reach = new Set([from]);
    for (const n of this.nodes) {
      if (n.opType === 'Shape' || n.opType === 'Size') continue;
      if ((n.input ?? []).some((i) => reach.has(i))) for (const o of n.output ?? []) if (o) reach.add(o);
    }
    return reach;
  }

  /** Whether `name` is computed (transitively) from any tensor in `roots`. */
  dependsOn(name: string, roots: Set<string>): boolean {
    const seen = new Set<string>();
    const stack = [name];
    while (stack.length) {
      const t = stack.pop() as string;
      if (roots.has(t)) return true;
      if (seen.has(t)) continue;
      seen.add(t);
      for (const i of this.producer.get(t)?.input ?? []) if (i) stack.push(i);
    }
    return false;
  }
}
