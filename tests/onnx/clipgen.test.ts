import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import { writeRandomClipBundle } from '../../native-models/onnx/clipgen';
import { OnnxError, readModel, serializeModel } from '../../native-models/onnx/model';
import { exposeTensors, extractSubgraph } from '../../native-models/onnx/surgery';
import { appendCosineObjective } from '../../native-models/onnx/objective';
import { buildGradientModel } from '../../native-models/onnx/autodiff';
import { testTempDir } from '../temp-dir';

const opts = {
  imageSize: 32, patch: 8, visionWidth: 48, visionLayers: 3, visionHeads: 3,
  textWidth: 32, textLayers: 2, textHeads: 2, contextLength: 16, projection: 24, vocabSize: 300, seed: 7,
};

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(bytes);
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

test('a generated bundle has the transformers.js layout, runs, and keeps the export op patterns and names', async () => {
  const dir = testTempDir('candor-clipgen-');
  try {
    await writeRandomClipBundle(dir, opts);
    for (const f of ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx']) {
      assert.ok(existsSync(join(dir, f)), f);
    }
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(config.vision_config.hidden_size, 48);
    assert.equal(config.text_config.eos_token_id, 299);

    const tok = new Tokenizer(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')));
    const ids = tok.encode('Small left pleural effusion.').ids;
    assert.equal(ids[0], 298);
    assert.equal(ids[ids.length - 1], 299);
    assert.equal(ids.length, 7);

    const vision = readModel(join(dir, 'onnx/vision_model.onnx'));
    const text = readModel(join(dir, 'onnx/text_model.onnx'));
    const ops = new Set(vision.graph!.node!.map((n) => n.opType));
    for (const op of ['Conv', 'Expand', 'Concat', 'ReduceMean', 'Pow', 'Sqrt', 'Softmax', 'Sigmoid', 'Gather', 'Transpose', 'Reshape']) assert.ok(ops.has(op), op);
    const tops = new Set(text.graph!.node!.map((n) => n.opType));
    for (const op of ['ArgMax', 'Range', 'Greater', 'Where', 'Flatten', 'Slice']) assert.ok(tops.has(op), op);

    const vCut = '/vision_model/encoder/layers.0/Add_1_output_0';
    const tCut = '/text_model/embeddings/Add_output_0';
    const px = new ort.Tensor('float32', Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => Math.sin(i)), [2, 3, 32, 32]);
    const vr = await run(serializeModel(exposeTensors(vision, [vCut])), { pixel_values: px });
    assert.deepEqual(vr.image_embeds.dims, [2, 24]);
    assert.deepEqual(vr.last_hidden_state.dims, [2, 17, 48]);
    assert.deepEqual(vr[vCut].dims, [2, 17, 48]);
    const idsT = new ort.Tensor('int64', BigInt64Array.from([298n, 5n, 6n, 299n, 298n, 9n, 299n, 0n]), [2, 4]);
    const tr = await run(serializeModel(exposeTensors(text, [tCut])), { input_ids: idsT });
    assert.deepEqual(tr.text_embeds.dims, [2, 24]);
    assert.ok(Array.from(tr.text_embeds.data as Float32Array).every(Number.isFinite));

    // causality: a token after the end token does not change the pooled embedding
    const ids2 = new ort.Tensor('int64', BigInt64Array.from([298n, 5n, 6n, 299n, 298n, 9n, 299n, 17n]), [2, 4]);
    const tr2 = await run(serializeModel(text), { input_ids: ids2 });
    const a = Array.from(tr.text_embeds.data as Float32Array);
    const b = Array.from(tr2.text_embeds.data as Float32Array);
    assert.ok(Math.max(...a.map((v, i) => Math.abs(v - b[i]))) < 1e-5);

    // the text tail at layer 0 is differentiable end to end; check one directional derivative
    const tail = appendCosineObjective(extractSubgraph(text, { inputs: [tCut], outputs: ['text_embeds'] }), { embedding: 'text_embeds' });
    const target = new ort.Tensor('float32', Float32Array.from({ length: 24 }, (_, i) => Math.cos(i)), [1, 24]);
    const g = serializeModel(await buildGradientModel(tail, { objective: 'objective', wrt: [tCut], probe: { [tCut]: tr[tCut], input_ids: idsT, target_embeds: target } }));
    const h = tr[tCut];
    const gr = await run(g, { [tCut]: h, input_ids: idsT, target_embeds: target });
    const grad = gr[`grad:${tCut}`].data as Float32Array;
    const direction = Float32Array.from({ length: grad.length }, (_, i) => Math.sin(3 * i));
    const at = async (sgn: number): Promise<number> => {
      const x = Float32Array.from(h.data as Float32Array, (v, i) => v + sgn * 1e-2 * direction[i]);
      const r = await run(serializeModel(tail), { [tCut]: new ort.Tensor('float32', x, h.dims), input_ids: idsT, target_embeds: target });
      return Number(r.objective.data[0]);
    };
    const fd = ((await at(1)) - (await at(-1))) / 2e-2;
    const an = grad.reduce((s, v, i) => s + v * direction[i], 0);
    assert.ok(Math.abs(fd - an) <= 1e-2 * Math.abs(an) + 1e-4, `directional derivative ${an} vs ${fd}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('impossible bundle shapes are refused with the reason', async () => {
  await assert.rejects(writeRandomClipBundle('/tmp/never-written', { ...opts, imageSize: 30 }), (e: unknown) => e instanceof OnnxError && /not a multiple of patch/.test((e as Error).message));
  await assert.rejects(writeRandomClipBundle('/tmp/never-written', { ...opts, visionHeads: 5 }), /not divisible by visionHeads/);
});

test('opset 18 bundles (LayerNormalization op) match opset 14 bundles (decomposed) in embeddings and gradients', async () => {
  const dirs = [testTempDir('candor-clipgen14-'), testTempDir('candor-clipgen18-')];
  try {
    await writeRandomClipBundle(dirs[0], { ...opts, opset: 14 });
    await writeRandomClipBundle(dirs[1], { ...opts, opset: 18 });
    const cut = '/vision_model/encoder/layers.0/Add_1_output_0';
    const px = new ort.Tensor('float32', Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => Math.cos(i * 0.7)), [2, 3, 32, 32]);
    const target = new ort.Tensor('float32', Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)), [1, 24]);
    const grads: Float32Array[] = [];
    for (const dir of dirs) {
      const vision = readModel(join(dir, 'onnx/vision_model.onnx'));
      const ops = new Set(vision.graph!.node!.map((n) => n.opType));
      assert.equal(ops.has('LayerNormalization'), dir === dirs[1]);
      const h = (await run(serializeModel(exposeTensors(vision, [cut])), { pixel_values: px }))[cut];
      const tail = appendCosineObjective(extractSubgraph(vision, { inputs: [cut], outputs: ['image_embeds'] }), { embedding: 'image_embeds' });
      const g = await buildGradientModel(tail, { objective: 'objective', wrt: [cut], probe: { [cut]: h, target_embeds: target } });
      grads.push((await run(serializeModel(g), { [cut]: h, target_embeds: target }))[`grad:${cut}`].data as Float32Array);
    }
    const scale = Math.max(...Array.from(grads[0], Math.abs));
    assert.ok(scale > 0);
    const diff = Math.max(...Array.from(grads[0], (v, i) => Math.abs(v - grads[1][i])));
    assert.ok(diff <= 1e-4 * scale, `gradients differ by ${diff} (scale ${scale})`);
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
