import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { preprocess } from '../../native-models/clip/preprocess';
import { CASES, MINI, REF, maxAbsDiff, readCase, readPixelsBin, readPng } from './helpers';

let bundle: ClipBundle;
before(async () => {
  bundle = await loadClipBundle(MINI);
});
after(async () => {
  await bundle?.dispose();
});

test('mini-clip loads: layers, grid, residual tensors found by structure match the README', () => {
  assert.equal(bundle.visionLayers, 4);
  assert.equal(bundle.textLayers, 4);
  assert.equal(bundle.imageSize, 64);
  assert.deepEqual(bundle.grid, [8, 8]);
  assert.equal(bundle.visionCls, true);
  assert.deepEqual(bundle.vision.layerInputs, [
    '/vision_model/pre_layrnorm/Add_1_output_0',
    '/vision_model/encoder/layers.0/Add_1_output_0',
    '/vision_model/encoder/layers.1/Add_1_output_0',
    '/vision_model/encoder/layers.2/Add_1_output_0',
    'last_hidden_state',
  ]);
  assert.deepEqual(bundle.text.layerInputs, [
    '/text_model/embeddings/Add_output_0',
    '/text_model/encoder/layers.0/Add_1_output_0',
    '/text_model/encoder/layers.1/Add_1_output_0',
    '/text_model/encoder/layers.2/Add_1_output_0',
    '/text_model/encoder/layers.3/Add_1_output_0',
  ]);
  assert.equal(bundle.vision.width, 64);
  assert.equal(bundle.text.width, 64);
  assert.equal(bundle.fileHashes['onnx/vision_model.onnx'], 'bda0835976e13867e6ea702974c37e038b94c18228b4f55b38cde892195dc03d');
  assert.match(bundle.sha256, /^[0-9a-f]{64}$/);
  assert.equal(bundle.provider, 'cpu');
});

for (const name of CASES) {
  test(`${name}: own preprocessing reproduces pixels.bin; ids and embeddings match the reference`, async () => {
    const c = readCase(name);
    const img = readPng(join(REF, c.image));
    const { pixelValues, transform } = preprocess(bundle, img);
    const ref = readPixelsBin(join(REF, c.pixels.file));
    assert.ok(maxAbsDiff(pixelValues, ref) <= 2e-7, `pixels differ by ${maxAbsDiff(pixelValues, ref)}`);
    assert.deepEqual([transform.scaleX, transform.offsetX, transform.modelWidth], [1, 0, 64]);
    const tk = bundle.tokenize(c.text);
    assert.deepEqual(tk.ids, c.input_ids);
    assert.deepEqual(tk.tokens.map((t) => [t.start, t.end]), c.tokens.map((t) => [t.start, t.end]));
    const ie = await bundle.embedImages(ref, 1);
    const te = await bundle.embedTexts([c.text]);
    assert.ok(maxAbsDiff(ie, c.float64.image_embeds) <= (c.tolerances.image_embeds_abs as number));
    assert.ok(maxAbsDiff(te, c.float64.text_embeds) <= (c.tolerances.text_embeds_abs as number));
  });
}
