// After loading, a bundle keeps no parsed copy of its models: a graph derived later reads the file
// again, and refuses a file that is no longer the one loaded (its SHA-256 is in the bundle's hash).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { BundleError, loadClipBundle } from '../../native-models/clip/bundle';
import { tailGradient } from '../../native-models/explain/graphs';
import { MINI } from './helpers';
import { testTempDir } from '../temp-dir';

test('a graph derived after loading reads the model file again, and refuses one changed since', async () => {
  const dir = join(testTempDir('candor-model-release-'), 'mini');
  cpSync(MINI, dir, { recursive: true });
  const bundle = await loadClipBundle(dir, { prefer: 'cpu' });
  try {
    const g = await tailGradient(bundle, 'vision', 1);
    assert.ok(g.session.outputNames.includes(g.grad), 'derived from the file read again');
    appendFileSync(join(dir, 'onnx', 'text_model.onnx'), Buffer.from([0]));
    // The parsed copy may still be alive until garbage collection; with it gone the file is read.
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 50));
    (globalThis as { gc?: () => void }).gc?.();
    await assert.rejects(tailGradient(bundle, 'text', 1), (e: unknown) => e instanceof BundleError && /text_model\.onnx: the model file has changed since the bundle was loaded/.test((e as Error).message));
  } finally {
    await bundle.dispose();
  }
});
