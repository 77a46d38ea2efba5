/**
 * The few engine functions this room uses, until the engine branch (native-models/onnx,
 * native-models/runtime) is merged; then this file re-exports them.
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type ModelProto = import('onnx-proto').onnx.IModelProto;
type IGraphProto = import('onnx-proto').onnx.IGraphProto;

export function parseModelBytes(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}
export function serializeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

export function exposeTensors(model: ModelProto, names: string[]): ModelProto {
  const graph = model.graph as IGraphProto;
  const have = new Set((graph.output ?? []).map((o) => o.name));
  const extra = names.filter((n) => !have.has(n)).map((name) => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }));
  return { ...model, graph: { ...graph, output: [...(graph.output ?? []), ...extra] } };
}

export async function createSession(model: string | Uint8Array, opts?: { prefer?: string; intraOpThreads?: number }): Promise<{ session: ort.InferenceSession; provider: string; fallbackReason: string | null }> {
  const so: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
  if (opts?.intraOpThreads) so.intraOpNumThreads = opts.intraOpThreads;
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model, so) : await ort.InferenceSession.create(model, so);
  const wanted = opts?.prefer && opts.prefer !== 'auto' && opts.prefer !== 'cpu' ? opts.prefer : null;
  return { session, provider: 'cpu', fallbackReason: wanted ? `${wanted} not available in this build` : null };
}

// Until the engine is merged: the gradient functions are not available.
export function extractSubgraph(_model: ModelProto, _opts: { inputs: string[]; outputs: string[] }): ModelProto {
  throw new Error('the gradient engine (native-models/onnx) is not merged yet');
}
export function appendCosineObjective(_model: ModelProto, _opts: { embedding: string; target?: string; perItem?: string; total?: string }): ModelProto {
  throw new Error('the gradient engine (native-models/onnx) is not merged yet');
}
export async function buildGradientModel(_model: ModelProto, _opts: { objective: string; wrt: string[]; probe?: Record<string, ort.Tensor> }): Promise<ModelProto> {
  throw new Error('the gradient engine (native-models/onnx) is not merged yet');
}
