// After loading, a bundle keeps no parsed copy of its models' weights: a graph derived later reads
// them from the tower's private weights file (the bytes hashed at load), not from the user's file,
// so a model file changed since cannot slip into a derived graph; once released, nothing is read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClipBundle } from '../../native-models/clip/bundle';
import { tailGradientBytes } from '../../native-models/explain/graphs';
import { MINI } from './helpers';
import { testTempDir } from '../temp-dir';

test('graphs derived after loading come from the bytes loaded, whatever happens to the model files since; none after release', async () => {
  const dir = join(testTempDir('candor-model-release-'), 'mini');
  cpSync(MINI, dir, { recursive: true });
  const bundle = await loadClipBundle(dir, { prefer: 'cpu' });
  const pristine = await loadClipBundle(MINI, { prefer: 'cpu' });
  try {
    for (const kind of ['vision', 'text'] as const) writeFileSync(join(dir, 'onnx', `${kind}_model.onnx`), Buffer.alloc(1000, 7));
    for (const kind of ['vision', 'text'] as const) {
      const got = await tailGradientBytes(bundle, kind, 1);
      const want = await tailGradientBytes(pristine, kind, 1);
      assert.ok(got.bytes.byteLength > 10_000, `${kind}: a tail with its weights`);
      assert.deepEqual(got.bytes, want.bytes, `${kind}: the tail derived after the file was overwritten is the one its loaded bytes give`);
    }
  } finally {
    await pristine.dispose();
    await bundle.dispose();
  }
  const weight = bundle.vision.model.graph!.initializer!.find((t) => t.name && /weight/.test(t.name) && t.dims!.length === 2)!;
  assert.throws(() => weight.rawData, /vision_model\.onnx: the weights of ".+" were read after the model was released/);
});
