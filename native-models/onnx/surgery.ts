// Graph surgery: find tensors, expose intermediates as outputs, cut out the subgraph between tensors.
import { OnnxError, modelLabel, setModelLabel, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from './model';
import { DT, isFloatType, tensorDims } from './tensors';

export { modelLabel, setModelLabel };

export function nodeLabel(node: NodeProto, index?: number): string {
  const name = node.name || (index !== undefined ? `#${index}` : '(unnamed)');
  return `${node.opType} node "${name}"`;
}

function graphOf(model: ModelProto): GraphProto {
  if (!model.graph) throw new OnnxError(`${modelLabel(model)} has no graph`);
  return model.graph;
}

function derive(model: ModelProto, graph: GraphProto): ModelProto {
  const out: ModelProto = { ...model, graph };
  setModelLabel(out, modelLabel(model));
  return out;
}

export function findTensor(model: ModelProto, name: string): { producer: string | null; consumers: string[] } {
  const g = graphOf(model);
  let producer: string | null = null;
  let found = false;
  const consumers: string[] = [];
  (g.node ?? []).forEach((n, i) => {
    if ((n.output ?? []).includes(name)) {
      producer = n.name || `#${i}`;
      found = true;
    }
    if ((n.input ?? []).includes(name)) {
      consumers.push(n.name || `#${i}`);
      found = true;
    }
  });
  if ((g.input ?? []).some((v) => v.name === name) || (g.initializer ?? []).some((t) => t.name === name)) found = true;
  if ((g.output ?? []).some((v) => v.name === name)) found = true;
  if (!found) throw new OnnxError(`tensor "${name}" does not exist in ${modelLabel(model)}`);
  return { producer, consumers };
}

/** Adds graph outputs for intermediate tensors (declared without type; onnxruntime infers it). */
export function exposeTensors(model: ModelProto, names: string[]): ModelProto {
  const g = graphOf(model);
  const outputs = [...(g.output ?? [])];
  const have = new Set(outputs.map((o) => o.name));
  for (const name of names) {
    findTensor(model, name);
    if (have.has(name)) continue;
    const declared = declaredType(g, name);
    outputs.push(declared ? { name, type: { tensorType: { elemType: declared } } } : { name });
    have.add(name);
  }
  return derive(model, { ...g, output: outputs });
}

/** The element type a tensor is declared with anywhere in the graph, or null. */
export function declaredType(g: GraphProto, name: string): number | null {
  for (const list of [g.input, g.output, g.valueInfo]) {
    const v = (list ?? []).find((x) => x.name === name);
    const t = v?.type?.tensorType?.elemType;
    if (t) return t;
  }
  const init = (g.initializer ?? []).find((t) => t.name === name);
  return init?.dataType ?? null;
}

/** The float type of a model: that of its first floating-point initializer or input (float32 if none). */
export function modelFloatType(model: ModelProto): number {
  const g = graphOf(model);
  for (const t of g.initializer ?? []) if (t.dataType && isFloatType(t.dataType) && tensorDims(t).length > 0) return t.dataType;
  for (const v of g.input ?? []) {
    const t = v.type?.tensorType?.elemType;
    if (t && isFloatType(t)) return t;
  }
  return DT.FLOAT;
}

export function floatInput(name: string, elemType: number, dims?: (number | string)[]): ValueInfoProto {
  const shape = dims ? { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined;
  return { name, type: { tensorType: shape ? { elemType, shape } : { elemType } } };
}

/**
 * The part of the graph that computes `outputs` from `inputs` (a cut): `inputs` become graph inputs of
 * dynamic shape, original graph inputs still needed stay inputs, and only needed nodes and initializers are kept.
 */
export function extractSubgraph(model: ModelProto, opts: { inputs: string[]; outputs: string[]; elemType?: number }): ModelProto {
  const g = graphOf(model);
  for (const n of [...opts.inputs, ...opts.outputs]) findTensor(model, n);
  const producerOf = new Map<string, NodeProto>();
  for (const n of g.node ?? []) for (const o of n.output ?? []) if (o) producerOf.set(o, n);
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const origInputs = new Map((g.input ?? []).map((v) => [v.name ?? '', v]));
  const cut = new Set(opts.inputs);

  const keepNodes = new Set<NodeProto>();
  const keepInits = new Set<string>();
  const keepOrigInputs = new Set<string>();
  const stack = [...opts.outputs];
  const seen = new Set<string>();
  while (stack.length) {
    const name = stack.pop()!;
    if (!name || seen.has(name)) continue;
    seen.add(name);
    if (cut.has(name)) continue;
    if (inits.has(name)) {
      keepInits.add(name);
      continue;
    }
    const p = producerOf.get(name);
    if (p) {
      if (!keepNodes.has(p)) {
        keepNodes.add(p);
        for (const i of p.input ?? []) stack.push(i);
        for (const a of p.attribute ?? []) for (const sub of [a.g, ...(a.graphs ?? [])]) {
          if (sub) for (const outer of outerNames(sub)) stack.push(outer);
        }
      }
      continue;
    }
    if (origInputs.has(name)) {
      keepOrigInputs.add(name);
      continue;
    }
    throw new OnnxError(`${modelLabel(model)}: tensor "${name}" is needed but nothing produces it`);
  }

  const elemType = opts.elemType ?? modelFloatType(model);
  const inputs: ValueInfoProto[] = opts.inputs.map((n) => {
    const orig = origInputs.get(n);
    return orig ?? floatInput(n, declaredType(g, n) ?? elemType);
  });
  for (const v of g.input ?? []) if (keepOrigInputs.has(v.name ?? '') && !cut.has(v.name ?? '')) inputs.push(v);
  const outputs: ValueInfoProto[] = opts.outputs.map((n) => {
    const orig = (g.output ?? []).find((o) => o.name === n);
    return orig ?? { name: n };
  });
  const graph: GraphProto = {
    ...g,
    node: (g.node ?? []).filter((n) => keepNodes.has(n)),
    initializer: (g.initializer ?? []).filter((t) => keepInits.has(t.name ?? '')),
    input: inputs,
    output: outputs,
    valueInfo: (g.valueInfo ?? []).filter((v) => seen.has(v.name ?? '')),
  };
  return derive(model, graph);
}

/** Names a subgraph (If/Loop body) reads from the enclosing scope. */
function outerNames(sub: GraphProto): string[] {
  const local = new Set<string>();
  for (const v of sub.input ?? []) local.add(v.name ?? '');
  for (const t of sub.initializer ?? []) local.add(t.name ?? '');
  for (const n of sub.node ?? []) for (const o of n.output ?? []) local.add(o);
  const out: string[] = [];
  for (const n of sub.node ?? []) for (const i of n.input ?? []) if (i && !local.has(i)) out.push(i);
  return out;
}

/** Turns initializers into graph inputs (same type and shape), e.g. to feed perturbed weights. */
export function initializersToInputs(model: ModelProto, names: string[]): ModelProto {
  const g = graphOf(model);
  const inits = g.initializer ?? [];
  const inputs = [...(g.input ?? [])];
  for (const name of names) {
    const t = inits.find((x) => x.name === name);
    if (!t) throw new OnnxError(`initializer "${name}" does not exist in ${modelLabel(model)}`);
    inputs.push(floatInput(name, t.dataType ?? DT.FLOAT, tensorDims(t)));
  }
  const set = new Set(names);
  return derive(model, { ...g, input: inputs, initializer: inits.filter((t) => !set.has(t.name ?? '')) });
}
