import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { readModel } from '../../native-models/onnx/model';
import { exposeTensors, extractSubgraph } from '../../native-models/onnx/surgery';
import { appendCosineObjective } from '../../native-models/onnx/objective';
import { buildGradientModel } from '../../native-models/onnx/autodiff';
import { MINI_CLIP_ONNX } from './fixtures';
import { countOps, runModel } from './fd-harness';

const DIR = MINI_CLIP_ONNX;
const ids = new ort.Tensor('int64', BigInt64Array.from([211n, 5n, 9n, 40n, 212n, 211n, 7n, 212n, 0n, 0n]), [2, 5]);
const target = new ort.Tensor('float32', Float32Array.from({ length: 32 }, (_, i) => Math.sin(i + 0.5)), [1, 32]);



test('only gradients leading to wrt are emitted: no weight gradients, one data-side MatMul per linear layer', async () => {
  const cut = '/vision_model/encoder/layers.1/Add_1_output_0';
  const tail = appendCosineObjective(extractSubgraph(readModel(`${DIR}/vision_model.onnx`), { inputs: [cut], outputs: ['image_embeds'] }), { embedding: 'image_embeds' });
  const h = new ort.Tensor('float32', Float32Array.from({ length: 2 * 65 * 64 }, (_, i) => Math.cos(i)), [2, 65, 64]);
  const g = await buildGradientModel(tail, { objective: 'objective', wrt: [cut], probe: { [cut]: h, target_embeds: target } });
  const inits = new Set(tail.graph!.initializer!.map((t) => t.name));
  const fwd = tail.graph!.node!.filter((n) => n.opType === 'MatMul');
  const withWeight = fwd.filter((n) => inits.has(n.input![1])).length;
  const activations = fwd.length - withWeight;
  assert.equal(withWeight, 2 * 6 + 1, 'two layers of six linear maps, plus the projection');
  assert.equal(activations, 2 * 2);
  assert.equal(countOps(g, 'MatMul'), fwd.length + withWeight + 2 * activations);
  assert.equal(countOps(g, 'Conv') + countOps(g, 'ConvTranspose'), 0);
  const outputs = g.graph!.output!.map((o) => o.name);
  assert.deepEqual(outputs, ['image_embeds', 'similarity', 'objective', `grad:${cut}`]);
});

test('gradient with respect to an intermediate tensor of the whole model equals the one through the cut tail', async () => {
  const cut = '/text_model/encoder/layers.1/Add_1_output_0';
  const full = appendCosineObjective(readModel(`${DIR}/text_model.onnx`), { embedding: 'text_embeds' });
  const gFull = await buildGradientModel(full, { objective: 'objective', wrt: [cut], probe: { input_ids: ids, target_embeds: target } });
  const rFull = await runModel(exposeTensors(gFull, [cut]), { input_ids: ids, target_embeds: target });
  const tail = appendCosineObjective(extractSubgraph(readModel(`${DIR}/text_model.onnx`), { inputs: [cut], outputs: ['text_embeds'] }), { embedding: 'text_embeds' });
  const feeds = { [cut]: rFull[cut], input_ids: ids, target_embeds: target };
  const gTail = await buildGradientModel(tail, { objective: 'similarity', wrt: [cut], probe: feeds });
  const rTail = await runModel(gTail, feeds);
  const a = rFull[`grad:${cut}`].data as Float32Array;
  const b = rTail[`grad:${cut}`].data as Float32Array;
  assert.equal(a.length, 2 * 5 * 64);
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * maxAbs + 1e-9, `element ${i}: ${a[i]} vs ${b[i]}`);
  // tokens after the end token (padding) cannot influence the pooled embedding: zero gradient (causal mask)
  for (let d = 0; d < 64; d++) assert.equal(b[(1 * 5 + 4) * 64 + d], 0);
  assert.ok(maxAbs > 0);
  // per-item objective: rows are independent, so item 0's gradient does not depend on item 1
  const sims = rTail.similarity.data as Float32Array;
  assert.equal(sims.length, 2);
  assert.ok(Math.abs(Number(rTail.objective.data[0]) - (sims[0] + sims[1])) < 1e-6);
});
