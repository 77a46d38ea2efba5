import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { serializeModel, OnnxError, type ModelProto } from '../../native-models/onnx/model';
import { appendCosineObjective, COSINE_EPS } from '../../native-models/onnx/objective';
import { buildGradientModel } from '../../native-models/onnx/autodiff';
import { DT } from '../../native-models/onnx/tensors';

function embeddingModel(dtype: number): ModelProto {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'emb',
      node: [{ opType: 'Identity', name: 'id', input: ['x'], output: ['emb'] }],
      input: [{ name: 'x', type: { tensorType: { elemType: dtype, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 4 }] } } } }],
      output: [{ name: 'emb', type: { tensorType: { elemType: dtype, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 4 }] } } } }],
    },
  };
}

/** torch 1.13 CosineSimilarity: x·y / (max(‖x‖, eps) · max(‖y‖, eps)). */
function cosine(x: number[], y: number[]): number {
  const dot = x.reduce((s, v, i) => s + v * y[i], 0);
  const nx = Math.sqrt(x.reduce((s, v) => s + v * v, 0));
  const ny = Math.sqrt(y.reduce((s, v) => s + v * v, 0));
  return dot / (Math.max(nx, COSINE_EPS) * Math.max(ny, COSINE_EPS));
}

test('cosine objective: per-item similarity with torch eps semantics, target broadcast over the batch, sum as total', async () => {
  const m = appendCosineObjective(embeddingModel(DT.DOUBLE), { embedding: 'emb' });
  const s = await ort.InferenceSession.create(serializeModel(m));
  const rows = [[1, 2, 3, 4], [0.5, -1, 0, 2], [1e-8, 0, 0, 0]];
  const x = new ort.Tensor('float64', Float64Array.from(rows.flat()), [3, 4]);
  const t = [0.3, 0.1, -0.2, 0.9];
  const r = await s.run({ x, target_embeds: new ort.Tensor('float64', Float64Array.from(t), [1, 4]) });
  const sims = Array.from(r.similarity.data as Float64Array);
  rows.forEach((row, i) => assert.ok(Math.abs(sims[i] - cosine(row, t)) < 1e-14, `row ${i}: ${sims[i]} vs ${cosine(row, t)}`));
  // the tiny row is below eps: the denominator is clamped, so its similarity is small, not ±1
  assert.ok(Math.abs(sims[2]) < 0.01);
  assert.ok(Math.abs(Number(r.objective.data[0]) - sims.reduce((a, b) => a + b, 0)) < 1e-14);
  // a zero target gives 0, not NaN
  const z = await s.run({ x, target_embeds: new ort.Tensor('float64', new Float64Array(4), [1, 4]) });
  assert.deepEqual(Array.from(z.similarity.data as Float64Array), [0, 0, 0]);
  await s.release();
});

test('gradient of the cosine objective matches central differences (float64), including the eps-clamped row', async () => {
  const m = appendCosineObjective(embeddingModel(DT.DOUBLE), { embedding: 'emb' });
  const xs = [0.4, -1.2, 0.3, 0.8, 2, 0.1, -0.5, 1, 3e-7, -2e-7, 1e-7, 0];
  const target = new ort.Tensor('float64', Float64Array.from([0.3, 0.1, -0.2, 0.9, -1, 0.5, 0.2, 0.4, 1, 1, 1, 1]), [3, 4]);
  const probe = { x: new ort.Tensor('float64', Float64Array.from(xs.slice(0, 8)), [2, 4]), target_embeds: new ort.Tensor('float64', Float64Array.from([0.3, 0.1, -0.2, 0.9, -1, 0.5, 0.2, 0.4]), [2, 4]) };
  const g = await buildGradientModel(m, { objective: 'objective', wrt: ['x'], probe });
  const gs = await ort.InferenceSession.create(serializeModel(g));
  const fs = await ort.InferenceSession.create(serializeModel(m));
  const x = new ort.Tensor('float64', Float64Array.from(xs), [3, 4]);
  const grad = (await gs.run({ x, target_embeds: target }))['grad:x'].data as Float64Array;
  for (let i = 0; i < xs.length; i++) {
    const h = i >= 8 ? 1e-9 : 1e-6;
    const at = async (d: number): Promise<number> => {
      const v = Float64Array.from(xs);
      v[i] += d;
      return Number((await fs.run({ x: new ort.Tensor('float64', v, [3, 4]), target_embeds: target })).objective.data[0]);
    };
    const fd = ((await at(h)) - (await at(-h))) / (2 * h);
    assert.ok(Math.abs(grad[i] - fd) <= 1e-6 * Math.max(1, Math.abs(fd)), `x[${i}]: ${grad[i]} vs ${fd}`);
  }
  await gs.release();
  await fs.release();
});

test('objective names that clash with the graph are refused', () => {
  const m = embeddingModel(DT.FLOAT);
  assert.throws(() => appendCosineObjective(m, { embedding: 'emb', target: 'x' }), (e: unknown) => e instanceof OnnxError && /"x" is already used/.test((e as Error).message));
});
