// A bundle of other shapes (engine's clipgen): 6 layers, patch 16 on 96 px (6×6 grid), wider text.
// Residual-stream discovery must find the generator's named tensors, and NIB must run on any grid.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadClipBundle } from '../../native-models/clip/bundle';
import { explain, defaultLayer } from '../../native-models/explain/index';
import { writeRandomClipBundle } from '../../native-models/onnx/clipgen';
import { tailGradient } from '../../native-models/explain/graphs';
import { testTempDir } from '../temp-dir';

const dir = testTempDir('candor-random-bundle-');
after(() => rmSync(dir, { recursive: true, force: true }));

test('discovery and NIB on a 6-layer, 6×6-grid random bundle', async () => {
  await writeRandomClipBundle(dir, { imageSize: 96, patch: 16, visionWidth: 48, visionLayers: 6, visionHeads: 4, textWidth: 40, textLayers: 5, textHeads: 2, contextLength: 24, projection: 16, vocabSize: 300, seed: 3 });
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { candor_random_bundle: { vision_layer_input_tensors: Record<string, string>; text_layer_input_tensors: Record<string, string> } };
  const b = await loadClipBundle(dir, { prefer: 'cpu' });
  try {
    assert.deepEqual(b.vision.layerInputs, Object.values(cfg.candor_random_bundle.vision_layer_input_tensors));
    assert.deepEqual(b.text.layerInputs, Object.values(cfg.candor_random_bundle.text_layer_input_tensors));
    assert.deepEqual(b.grid, [6, 6]);
    assert.equal(defaultLayer(b.visionLayers), 4);
    assert.equal(defaultLayer(b.textLayers), 3);
    // A non-square grayscale scan, letterboxed: the map comes back at the scan's aspect ratio.
    const w = 300, h = 200;
    const px = Float32Array.from({ length: w * h }, (_, i) => (i % w) * 3 + Math.floor(i / w));
    const e = await explain(b, { width: w, height: h, channels: 1, pixels: px, window: { center: 500, width: 1000 }, invert: false }, 'left lower lobe nodule', { method: 'nib', target: 'both', letterbox: true });
    assert.deepEqual(e.params.layer, 4);
    assert.equal(e.params.textLayer, 3);
    assert.deepEqual(e.image!.grid, [6, 6]);
    assert.equal(e.image!.tokenScores.length, 36);
    assert.deepEqual([e.image!.map.width, e.image!.map.height], [300, 200]);
    assert.ok(e.text!.tokens.length === 6 && e.text!.words.length === 4);
    assert.ok(Number.isFinite(e.metrics.vdrop) && Number.isFinite(e.metrics.tdrop));
    assert.deepEqual((await tailGradient(b, 'vision', 4)).specialized, { applied: true, reason: null, via: 'reassociated attention' });
  } finally {
    await b.dispose();
  }
});
