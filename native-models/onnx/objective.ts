// Objectives appended to a model graph, ready for differentiation.
import { GraphBuilder } from './builder';
import { OnnxError, modelLabel, opsetVersion, setModelLabel, toNumber, type ModelProto } from './model';
import { declaredType, findTensor, floatInput, modelFloatType } from './surgery';

export interface CosineObjectiveOptions {
  /** The graph's embedding tensor, [batch, dim]. */
  embedding: string;
  /** New graph input holding the target embedding, [batch or 1, dim]; default 'target_embeds'. */
  target?: string;
  /** Per-item cosine similarity output, [batch]; default 'similarity'. */
  perItem?: string;
  /** Scalar output: the sum of the per-item similarities; default 'objective'. */
  total?: string;
}

/** PyTorch's CosineSimilarity(dim=-1, eps=1e-6) as torch 1.13 computes it: x·y / (max(‖x‖,eps)·max(‖y‖,eps)). */
export const COSINE_EPS = 1e-6;

export function appendCosineObjective(model: ModelProto, opts: CosineObjectiveOptions): ModelProto {
  const label = modelLabel(model);
  if (opsetVersion(model) < 13) throw new OnnxError(`${label}: opset ${opsetVersion(model)} is too old (need 13 or newer)`);
  findTensor(model, opts.embedding);
  const target = opts.target ?? 'target_embeds';
  const perItem = opts.perItem ?? 'similarity';
  const total = opts.total ?? 'objective';
  const src = model.graph!;
  for (const name of [target, perItem, total]) {
    const clash = (src.node ?? []).some((n) => (n.output ?? []).includes(name) || (n.input ?? []).includes(name))
      || (src.input ?? []).some((v) => v.name === name) || (src.initializer ?? []).some((t) => t.name === name);
    if (clash) throw new OnnxError(`${label}: tensor name "${name}" is already used; choose another name for the objective`);
  }
  const dt = declaredType(src, opts.embedding) ?? modelFloatType(model);
  const declared = [...(src.output ?? []), ...(src.valueInfo ?? [])].find((v) => v.name === opts.embedding);
  const lastDim = declared?.type?.tensorType?.shape?.dim?.slice(-1)[0];
  const dim = lastDim?.dimValue ? toNumber(lastDim.dimValue) : 'embedding_dim';
  const graph = {
    ...src,
    node: [...(src.node ?? [])],
    initializer: [...(src.initializer ?? [])],
    input: [...(src.input ?? []), floatInput(target, dt, ['target_batch', dim])],
    output: [...(src.output ?? [])],
  };
  const b = new GraphBuilder(graph, 'objective/');
  b.reserve(target);
  b.reserve(perItem);
  b.reserve(total);
  const e = opts.embedding;
  const last = b.ints([-1]);
  const eps = b.scalar(dt, COSINE_EPS);
  const norm = (x: string): string => b.op1('Sqrt', [b.op1('ReduceSum', [b.op1('Mul', [x, x]), last], { keepdims: 0 })]);
  const dot = b.op1('ReduceSum', [b.op1('Mul', [e, target]), last], { keepdims: 0 });
  const den = b.op1('Mul', [b.op1('Max', [norm(e), eps]), b.op1('Max', [norm(target), eps])]);
  b.op('Div', [dot, den], {}, [perItem]);
  b.op('ReduceSum', [perItem], { keepdims: 0 }, [total]);
  graph.output.push(
    { name: perItem, type: { tensorType: { elemType: dt } } },
    { name: total, type: { tensorType: { elemType: dt, shape: { dim: [] } } } },
  );
  const out: ModelProto = { ...model, graph };
  setModelLabel(out, label);
  return out;
}
