// Last-layer specialization (CLS row only in the last vision layer) applies to the HF-pattern exports
// and gives the same NIB scores as the plain tail.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { explain } from '../../native-models/explain/index';
import { setLastLayerSpecialization, tailGradient } from '../../native-models/explain/graphs';
import { MINI, REF, maxAbsDiff, readCase, readPng } from '../clip/helpers';

let bundle: ClipBundle;
before(async () => {
  bundle = await loadClipBundle(MINI, { prefer: 'cpu' });
});
after(async () => {
  setLastLayerSpecialization(true);
  await bundle?.dispose();
});

test('specialization applies on mini-clip and matches the plain tail at every layer', async () => {
  const c = readCase('case01');
  const img = readPng(join(REF, c.image));
  // Layer 3 (the last) is covered against PyTorch by case04 in cli.test.ts; its scores are rounding noise.
  for (const layer of [0, 1, 2]) {
    setLastLayerSpecialization(true);
    const g = await tailGradient(bundle, 'vision', layer);
    assert.deepEqual(g.specialized, { applied: true, reason: null, via: 'reassociated attention' });
    const a = await explain(bundle, img, c.text, { method: 'nib', layer, steps: 5, target: 'image', metrics: false });
    setLastLayerSpecialization(false);
    const p = await tailGradient(bundle, 'vision', layer);
    assert.equal(p.specialized, undefined);
    const b = await explain(bundle, img, c.text, { method: 'nib', layer, steps: 5, target: 'image', metrics: false });
    const scale = Math.max(...b.image!.tokenScores.map(Math.abs), 1e-12);
    assert.ok(maxAbsDiff(a.image!.tokenScores, b.image!.tokenScores) <= 1e-5 * scale + 1e-9, `layer ${layer}`);
  }
});
