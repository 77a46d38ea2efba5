import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import { loadClipBundle } from '../../native-models/clip/bundle';
import { contentKey } from '../../native-models/demo/dataset';
import { DEFAULT_WINDOW, renderPhantom, samplePhantom, windowTo8bit } from '../../native-models/demo/phantom';
import { mulberry32, shuffle } from '../../native-models/demo/random';
import { writeReport } from '../../native-models/demo/report-grammar';

const BUNDLE = fileURLToPath(new URL('../../native-models/demo/bundle', import.meta.url));
const readJson = (rel: string) => JSON.parse(readFileSync(join(BUNDLE, rel), 'utf8'));

test('the bundle has the HF CLIP / transformers.js layout and a consistent config', () => {
  for (const f of ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx']) {
    assert.ok(existsSync(join(BUNDLE, f)), `${f} missing`);
  }
  const config = readJson('config.json');
  const tok = readJson('tokenizer.json');
  const vocab: Record<string, number> = tok.model.vocab;
  const maxId = Math.max(...Object.values(vocab));
  assert.equal(config.text_config.vocab_size, maxId + 1);
  assert.equal(vocab['<|endoftext|>'], maxId, 'EOS must be the highest id');
  assert.equal(config.text_config.eos_token_id, maxId);
  assert.ok(config.vision_config.num_hidden_layers >= 6 && config.text_config.num_hidden_layers >= 6);
  assert.ok(config.vision_config.image_size / config.vision_config.patch_size >= 12);
  const pre = readJson('preprocessor_config.json');
  assert.equal(pre.crop_size.height, config.vision_config.image_size);
});

test('the app loader opens it like any HF CLIP export (no special case)', async () => {
  const bundle = await loadClipBundle(BUNDLE);
  try {
    assert.equal(bundle.visionLayers, 6);
    assert.equal(bundle.textLayers, 6);
    assert.deepEqual(bundle.grid, [12, 12]);
    assert.equal(bundle.visionCls, true);
    assert.equal(bundle.vision.layerInputs[4], '/vision_model/encoder/layers.3/Add_1_output_0');
    assert.equal(bundle.text.layerInputs[4], '/text_model/encoder/layers.3/Add_1_output_0');
  } finally {
    await bundle.dispose();
  }
});

function pixelValues(gray: Uint8Array, mean: number[], std: number[]): Float32Array {
  const n = gray.length;
  const out = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) out[c * n + i] = (Math.fround(gray[i] * (1 / 255)) - mean[c]) / std[c];
  }
  return out;
}

function unit(v: Float32Array): Float64Array {
  const n = Math.hypot(...v);
  return Float64Array.from(v, (x) => x / n);
}

test('plain onnxruntime: outputs as exported, and held-out retrieval clearly above chance', async () => {
  const config = readJson('config.json');
  const pre = readJson('preprocessor_config.json');
  const size: number = config.vision_config.image_size;
  const vision = await ort.InferenceSession.create(join(BUNDLE, 'onnx/vision_model.onnx'));
  const text = await ort.InferenceSession.create(join(BUNDLE, 'onnx/text_model.onnx'));
  assert.deepEqual(vision.inputNames, ['pixel_values']);
  assert.deepEqual(vision.outputNames, ['image_embeds', 'last_hidden_state']);
  assert.deepEqual(text.inputNames, ['input_ids']);
  assert.equal(text.outputNames[0], 'text_embeds');
  const tokenizer = new Tokenizer(readJson('tokenizer.json'), readJson('tokenizer_config.json'));
  // Held-out: seeds the trainer never used (training 1e6.., its check 7e6.., eval 9e6..).
  const n = 20;
  const imgs: Float64Array[] = [];
  const txts: Float64Array[] = [];
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const spec = samplePhantom(8_000_000 + i);
    const img = renderPhantom(spec, size);
    const pv = pixelValues(windowTo8bit(img.pixels, DEFAULT_WINDOW), pre.image_mean, pre.image_std);
    const vo = await vision.run({ pixel_values: new ort.Tensor('float32', pv, [1, 3, size, size]) });
    assert.deepEqual(vo.last_hidden_state.dims, [1, 145, config.vision_config.hidden_size]);
    imgs.push(unit(vo.image_embeds.data as Float32Array));
    const ids = tokenizer.encode(writeReport(spec.findings, 8_000_000 + i).text).ids;
    const to = await text.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]) });
    assert.deepEqual(to.text_embeds.dims, [1, config.projection_dim]);
    txts.push(unit(to.text_embeds.data as Float32Array));
    keys.push(contentKey(spec.findings));
  }
  const rng = mulberry32(1);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const others = shuffle(rng, [...Array(n).keys()].filter((j) => keys[j] !== keys[i])).slice(0, 9);
    const sim = (j: number) => imgs[i].reduce((s, x, k) => s + x * txts[j][k], 0);
    if (others.every((j) => sim(j) < sim(i))) hits++;
  }
  // Chance is 0.1; the full evaluation (eval.ts) measures the real figure on more phantoms.
  assert.ok(hits / n >= 0.3, `retrieval top-1 among 10 = ${hits / n}`);
  await vision.release();
  await text.release();
});
