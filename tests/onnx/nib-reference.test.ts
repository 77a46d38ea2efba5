// NIB on mini-clip through our gradient graphs, checked against the PyTorch-autograd reference numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readModel, serializeModel, type ModelProto } from '../../native-models/onnx/model';
import { exposeTensors, extractSubgraph } from '../../native-models/onnx/surgery';
import { appendCosineObjective } from '../../native-models/onnx/objective';
import { buildGradientModel } from '../../native-models/onnx/autodiff';
import { createSession } from '../../native-models/runtime/session';
import { MINI_CLIP_ONNX, REFERENCE } from './fixtures';

const REF = REFERENCE;
const BUNDLE = MINI_CLIP_ONNX;

interface Block {
  similarity: number;
  image: { patch_scores_raw: number[]; cls_score_raw: number };
  text: { token_scores_raw: number[] };
}
interface Case {
  case: string;
  layer: number;
  steps: number;
  input_ids: number[];
  pixels: { file: string };
  tolerances: { similarity_abs: number; image_patch_scores_raw_abs: number; text_token_scores_raw_abs: number };
  float64: Block;
}

function hiddenName(tower: 'vision' | 'text', layer: number): string {
  if (layer === 0) return tower === 'vision' ? '/vision_model/pre_layrnorm/Add_1_output_0' : '/text_model/embeddings/Add_output_0';
  return `/${tower}_model/encoder/layers.${layer - 1}/Add_1_output_0`;
}

async function run(model: ModelProto | Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const bytes = model instanceof Uint8Array ? model : serializeModel(model);
  const { session } = await createSession(bytes, { prefer: 'cpu' });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

const vision = readModel(join(BUNDLE, 'vision_model.onnx'));
const text = readModel(join(BUNDLE, 'text_model.onnx'));
const gradModels = new Map<string, Uint8Array>();

function ids(values: number[], batch: number): ort.Tensor {
  const data = new BigInt64Array(values.length * batch);
  for (let b = 0; b < batch; b++) values.forEach((v, i) => (data[b * values.length + i] = BigInt(v)));
  return new ort.Tensor('int64', data, [batch, values.length]);
}

function scaledBatch(h: ort.Tensor, n: number): ort.Tensor {
  const src = h.data as Float32Array;
  const out = new Float32Array(src.length * n);
  for (let i = 1; i <= n; i++) for (let k = 0; k < src.length; k++) out[(i - 1) * src.length + k] = Math.fround(src[k] * (i / n));
  return new ort.Tensor('float32', out, [n, ...h.dims.slice(1)]);
}

async function gradientModel(tower: 'vision' | 'text', layer: number, h: ort.Tensor, target: ort.Tensor, inputIds: number[]): Promise<Uint8Array> {
  const key = `${tower}:${layer}`;
  const hit = gradModels.get(key);
  if (hit) return hit;
  const name = hiddenName(tower, layer);
  const embedding = tower === 'vision' ? 'image_embeds' : 'text_embeds';
  const tail = extractSubgraph(tower === 'vision' ? vision : text, { inputs: [name], outputs: [embedding] });
  const withObjective = appendCosineObjective(tail, { embedding });
  const probe: Record<string, ort.Tensor> = { [name]: scaledBatch(h, 2), target_embeds: target };
  if (tower === 'text') probe.input_ids = ids(inputIds, 2);
  const g = serializeModel(await buildGradientModel(withObjective, { objective: 'objective', wrt: [name], probe }));
  gradModels.set(key, g);
  return g;
}

/** NIB scores per token: A = Σ_i h ⊙ grad_i / n, summed over the hidden dimension. */
function nibScores(h: ort.Tensor, grads: ort.Tensor, n: number): number[] {
  const [, T, D] = h.dims;
  const hv = h.data as Float32Array;
  const gv = grads.data as Float32Array;
  const scores: number[] = [];
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let d = 0; d < D; d++) {
      let gsum = 0;
      for (let i = 0; i < n; i++) gsum += gv[(i * T + t) * D + d];
      s += (hv[t * D + d] * gsum) / n;
    }
    scores.push(s);
  }
  return scores;
}

function maxAbsDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i])));
}

const cases = ['01', '02', '03', '04', '05', '06', '07', '08'].map(
  (k) => JSON.parse(readFileSync(join(REF, `case${k}.json`), 'utf8')) as Case,
);

for (const c of cases) {
  test(`NIB reference ${c.case} (layer ${c.layer}, ${c.steps} steps), both towers`, async () => {
    const buf = readFileSync(join(REF, c.pixels.file));
    const pixels = new ort.Tensor('float32', new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice(), [1, 3, 64, 64]);
    const vName = hiddenName('vision', c.layer);
    const tName = hiddenName('text', c.layer);
    const vOut = await run(exposeTensors(vision, [vName]), { pixel_values: pixels });
    const tOut = await run(exposeTensors(text, [tName]), { input_ids: ids(c.input_ids, 1) });
    const ref = c.float64;

    // image side: text embedding held fixed as the target
    const hv = vOut[vName];
    const vModel = await gradientModel('vision', c.layer, hv, tOut.text_embeds, c.input_ids);
    const vRes = await run(vModel, { [vName]: scaledBatch(hv, c.steps), target_embeds: tOut.text_embeds });
    const sims = vRes.similarity.data as Float32Array;
    assert.ok(Math.abs(sims[c.steps - 1] - ref.similarity) <= c.tolerances.similarity_abs, `similarity ${sims[c.steps - 1]} vs ${ref.similarity}`);
    const vScores = nibScores(hv, vRes[`grad:${vName}`], c.steps);
    const tolV = c.tolerances.image_patch_scores_raw_abs;
    const patchDiff = maxAbsDiff(vScores.slice(1), ref.image.patch_scores_raw);
    if (process.env.NIB_VERBOSE) console.log(c.case, "patch", patchDiff / tolV);
    assert.ok(patchDiff <= tolV, `${c.case} patch scores differ by ${patchDiff} > ${tolV}`);
    assert.ok(Math.abs(vScores[0] - ref.image.cls_score_raw) <= tolV, `${c.case} CLS score ${vScores[0]} vs ${ref.image.cls_score_raw}`);

    // text side: image embedding held fixed
    const ht = tOut[tName];
    const tModel = await gradientModel('text', c.layer, ht, vOut.image_embeds, c.input_ids);
    const tRes = await run(tModel, { [tName]: scaledBatch(ht, c.steps), target_embeds: vOut.image_embeds, input_ids: ids(c.input_ids, c.steps) });
    const tSim = (tRes.similarity.data as Float32Array)[c.steps - 1];
    assert.ok(Math.abs(tSim - ref.similarity) <= c.tolerances.similarity_abs, `text-side similarity ${tSim} vs ${ref.similarity}`);
    const tScores = nibScores(ht, tRes[`grad:${tName}`], c.steps);
    const tokDiff = maxAbsDiff(tScores, ref.text.token_scores_raw);
    if (process.env.NIB_VERBOSE) console.log(c.case, "tokens", tokDiff / c.tolerances.text_token_scores_raw_abs);
    assert.ok(tokDiff <= c.tolerances.text_token_scores_raw_abs, `${c.case} token scores differ by ${tokDiff} > ${c.tolerances.text_token_scores_raw_abs}`);
  });
}
