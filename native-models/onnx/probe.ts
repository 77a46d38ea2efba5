// Runs a model once with every intermediate tensor exposed, to learn concrete element types and shapes.
import * as ort from 'onnxruntime-node';
import { OnnxError, modelLabel, modelSource, type ModelProto } from './model';
import type { TensorMeta } from './grad-context';
import { initializerMeta } from './grad-context';
import { DT, isFloatType, ortTypeToOnnx, tensorDims } from './tensors';

export type Feeds = Record<string, ort.Tensor>;

export async function probeModel(model: ModelProto, feeds: Feeds): Promise<Map<string, TensorMeta>> {
  const g = model.graph!;
  const outputs = [...(g.output ?? [])];
  const have = new Set(outputs.map((o) => o.name));
  for (const n of g.node ?? []) for (const o of n.output ?? []) if (o && !have.has(o)) {
    outputs.push({ name: o });
    have.add(o);
  }
  const exposed: ModelProto = { ...model, graph: { ...g, output: outputs } };
  let result: ort.InferenceSession.ReturnType;
  const src = modelSource(exposed);
  try {
    // A failed probe is reported by the error below (with the model's name); onnxruntime's own log line would only repeat it.
    const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'disabled', logSeverityLevel: 4 };
    const session = typeof src.source === 'string'
      ? await ort.InferenceSession.create(src.source, options)
      : await ort.InferenceSession.create(src.source, options);
    try {
      result = await session.run(feeds);
    } finally {
      await session.release();
    }
  } catch (err) {
    throw new OnnxError(`${modelLabel(model)}: the probe run failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    src.cleanup();
  }
  const metas = new Map<string, TensorMeta>();
  for (const t of g.initializer ?? []) if (t.name) metas.set(t.name, initializerMeta(t));
  for (const [name, t] of Object.entries(feeds)) metas.set(name, { dtype: ortTypeToOnnx(t.type), dims: [...t.dims] });
  for (const [name, t] of Object.entries(result)) metas.set(name, { dtype: ortTypeToOnnx(t.type), dims: [...t.dims] });
  return metas;
}

/** Sample feeds from declared input shapes (dynamic dimensions set to 2), when every input declares its rank. */
export function defaultProbeFeeds(model: ModelProto): Feeds | null {
  const inits = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  const feeds: Feeds = {};
  for (const v of model.graph?.input ?? []) {
    if (inits.has(v.name)) continue;
    const tt = v.type?.tensorType;
    if (!tt?.shape) return null;
    const dims = (tt.shape.dim ?? []).map((d) => (d.dimValue ? Number(d.dimValue) : 2));
    const n = dims.reduce((a, b) => a * b, 1);
    const dt = tt.elemType ?? DT.FLOAT;
    if (dt === DT.FLOAT) feeds[v.name!] = new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i + 1)), dims);
    else if (dt === DT.DOUBLE) feeds[v.name!] = new ort.Tensor('float64', Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1)), dims);
    else if (dt === DT.INT64) feeds[v.name!] = new ort.Tensor('int64', new BigInt64Array(n), dims);
    else if (dt === DT.INT32) feeds[v.name!] = new ort.Tensor('int32', new Int32Array(n), dims);
    else return null;
  }
  return feeds;
}

export function isFloatMeta(m: TensorMeta | undefined): boolean {
  return !!m && isFloatType(m.dtype);
}

export { tensorDims };
