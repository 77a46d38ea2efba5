// An independent NIB on mini-clip for the tests: its own cut (by tensor name), its own tail +
// gradient graph (extractSubgraph → appendCosineObjective → buildGradientModel, no specialization),
// its own step points h·(i/n), and its own score sum, never through native-models/explain.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readModel, serializeModel, type ModelProto } from '../../native-models/onnx/model';
import { exposeTensors, extractSubgraph } from '../../native-models/onnx/surgery';
import { appendCosineObjective } from '../../native-models/onnx/objective';
import { buildGradientModel } from '../../native-models/onnx/autodiff';
import { createSession } from '../../native-models/runtime/session';
import { MINI_CLIP_ONNX, REFERENCE } from './fixtures';

export type Tower = 'vision' | 'text';

export interface OracleCase {
  case: string;
  layer: number;
  steps: number;
  input_ids: number[];
  pixels: { file: string };
}

export function hiddenName(tower: Tower, layer: number): string {
  if (layer === 0) return tower === 'vision' ? '/vision_model/pre_layrnorm/Add_1_output_0' : '/text_model/embeddings/Add_output_0';
  return `/${tower}_model/encoder/layers.${layer - 1}/Add_1_output_0`;
}

export async function run(model: ModelProto | Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const bytes = model instanceof Uint8Array ? model : serializeModel(model);
  const { session } = await createSession(bytes, { prefer: 'cpu' });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

const models: Record<Tower, ModelProto> = {
  vision: readModel(join(MINI_CLIP_ONNX, 'vision_model.onnx')),
  text: readModel(join(MINI_CLIP_ONNX, 'text_model.onnx')),
};
const gradModels = new Map<string, Uint8Array>();

export function ids(values: number[], batch: number): ort.Tensor {
  const data = new BigInt64Array(values.length * batch);
  for (let b = 0; b < batch; b++) values.forEach((v, i) => (data[b * values.length + i] = BigInt(v)));
  return new ort.Tensor('int64', data, [batch, values.length]);
}

/** The points h·(i/n) for i = first..first+count−1, as one batch. */
export function scaledBatch(h: ort.Tensor, n: number, first = 1, count = n): ort.Tensor {
  const src = h.data as Float32Array;
  const out = new Float32Array(src.length * count);
  for (let j = 0; j < count; j++) for (let k = 0; k < src.length; k++) out[j * src.length + k] = Math.fround(src[k] * ((first + j) / n));
  return new ort.Tensor('float32', out, [count, ...h.dims.slice(1)]);
}

/** Tail after the cut + cosine objective + its gradient w.r.t. the cut, built once per tower and layer. */
export async function gradientModel(tower: Tower, layer: number, h: ort.Tensor, target: ort.Tensor, inputIds: number[]): Promise<Uint8Array> {
  const key = `${tower}:${layer}`;
  const hit = gradModels.get(key);
  if (hit) return hit;
  const name = hiddenName(tower, layer);
  const embedding = tower === 'vision' ? 'image_embeds' : 'text_embeds';
  const tail = extractSubgraph(models[tower], { inputs: [name], outputs: [embedding] });
  const withObjective = appendCosineObjective(tail, { embedding });
  const probe: Record<string, ort.Tensor> = { [name]: scaledBatch(h, 2), target_embeds: target };
  if (tower === 'text') probe.input_ids = ids(inputIds, 2);
  const g = serializeModel(await buildGradientModel(withObjective, { objective: 'objective', wrt: [name], probe }));
  gradModels.set(key, g);
  return g;
}

/** A case's residual streams at its layer and both embeddings, from the reference pixels and ids. */
export async function encodeCase(c: OracleCase, layer = c.layer): Promise<{ vision: ort.Tensor; text: ort.Tensor; imageEmbeds: ort.Tensor; textEmbeds: ort.Tensor }> {
  const buf = readFileSync(join(REFERENCE, c.pixels.file));
  const pixels = new ort.Tensor('float32', new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice(), [1, 3, 64, 64]);
  const vName = hiddenName('vision', layer);
  const tName = hiddenName('text', layer);
  const vOut = await run(exposeTensors(models.vision, [vName]), { pixel_values: pixels });
  const tOut = await run(exposeTensors(models.text, [tName]), { input_ids: ids(c.input_ids, 1) });
  return { vision: vOut[vName], text: tOut[tName], imageEmbeds: vOut.image_embeds, textEmbeds: tOut.text_embeds };
}

/** Per step i (rows) and token t: Σ_d h[t, d] · g_i[t, d] / n, from a batch of gradients [count, T, D]. */
export function stepContributions(h: ort.Tensor, grads: ort.Tensor, n: number): number[][] {
  const [, T, D] = h.dims;
  const hv = h.data as Float32Array;
  const gv = grads.data as Float32Array;
  const count = gv.length / (T * D);
  const rows: number[][] = [];
  for (let i = 0; i < count; i++) {
    const row: number[] = [];
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += hv[t * D + d] * gv[(i * T + t) * D + d];
      row.push(s / n);
    }
    rows.push(row);
  }
  return rows;
}

export function sumRows(rows: number[][]): number[] {
  return rows[0].map((_, t) => rows.reduce((s, r) => s + r[t], 0));
}

/**
 * NIB's per-step terms on one tower, each step in its own run of the oracle's graph:
 * rows[i−1][t] = Σ_d h ⊙ ∂cos(f(h·i/n), target)/∂x at token t, divided by n; and cos at each point.
 * The NIB scores are the column sums.
 */
export async function nibOneStepAtATime(tower: Tower, layer: number, h: ort.Tensor, target: ort.Tensor, inputIds: number[], n: number): Promise<{ rows: number[][]; losses: number[] }> {
  const name = hiddenName(tower, layer);
  const { session } = await createSession(await gradientModel(tower, layer, h, target, inputIds), { prefer: 'cpu' });
  const rows: number[][] = [];
  const losses: number[] = [];
  try {
    for (let i = 1; i <= n; i++) {
      const feeds: Record<string, ort.Tensor> = { [name]: scaledBatch(h, n, i, 1), target_embeds: target };
      if (tower === 'text') feeds.input_ids = ids(inputIds, 1);
      const out = await session.run(feeds);
      rows.push(stepContributions(h, out[`grad:${name}`], n)[0]);
      losses.push((out.similarity.data as Float32Array)[0]);
    }
  } finally {
    await session.release();
  }
  return { rows, losses };
}
