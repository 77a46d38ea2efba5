// Emits nodes and constants into a graph with names that cannot clash with existing ones.
import type { GraphProto, NodeProto } from './model';
import { DT, makeAttr, makeTensor, type AttrValue } from './tensors';

export class GraphBuilder {
  readonly graph: GraphProto;
  private readonly used = new Set<string>();
  private readonly constCache = new Map<string, string>();
  private counter = 0;
  readonly nodes: NodeProto[] = [];

  constructor(graph: GraphProto, private readonly prefix: string) {
    this.graph = graph;
    graph.node ??= [];
    graph.initializer ??= [];
    for (const n of graph.node) {
      if (n.name) this.used.add(n.name);
      for (const o of n.output ?? []) this.used.add(o);
      for (const i of n.input ?? []) this.used.add(i);
    }
    for (const t of graph.initializer) if (t.name) this.used.add(t.name);
    for (const v of graph.input ?? []) if (v.name) this.used.add(v.name);
    for (const v of graph.output ?? []) if (v.name) this.used.add(v.name);
  }

  fresh(base: string): string {
    let name: string;
    do name = `${this.prefix}${base}_${this.counter++}`; while (this.used.has(name));
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  /** Appends one node; returns its output names (fresh ones unless given). */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs: number | string[] = 1): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType)) : outputs;
    for (const o of outs) this.used.add(o);
    const node: NodeProto = {
      opType,
      name: this.fresh(`${opType}_node`),
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => makeAttr(k, v)),
    };
    this.graph.node!.push(node);
    this.nodes.push(node);
    return outs;
  }

  op1(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.op(opType, inputs, attrs, 1)[0];
  }

  /**
   * A constant initializer; small ones are shared between identical requests. A large one gets no
   * key: spelling out a weight matrix's values as text took 0.43 s of a ViT-B/32 derivation.
   */
  constant(dataType: number, dims: number[], values: ArrayLike<number>): string {
    const key = values.length <= 64 ? `${dataType}|${dims.join(',')}|${Array.from(values).join(',')}` : null;
    const hit = key === null ? undefined : this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh('const');
    this.graph.initializer!.push(makeTensor(name, dataType, dims, values));
    if (key !== null) this.constCache.set(key, name);
    return name;
  }

  ints(values: number[]): string {
    return this.constant(DT.INT64, [values.length], values);
  }

  scalar(dataType: number, v: number): string {
    return this.constant(dataType, [], [v]);
  }
}
