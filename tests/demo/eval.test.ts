import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evalDemo } from '../../native-models/demo/eval';

test('evalDemo runs the app path on held-out phantoms and prints one table row per method and finding', async () => {
  const r = await evalDemo({ count: 20, perType: 1, methods: ['nib', 'gradcam'], renderSize: 128 });
  assert.equal(r.retrieval.n, 20);
  assert.ok(r.retrieval.top1 > 2 * r.retrieval.chance, `retrieval ${r.retrieval.top1}`);
  assert.equal(r.attribution.length, 12);
  for (const row of r.attribution) {
    assert.equal(row.n, 1);
    for (const v of [row.pointing, row.energyInside, row.maskArea, row.textTopInSentence, row.textChance]) assert.ok(v >= 0 && v <= 1);
    assert.ok(row.maskArea > 0);
  }
  assert.match(r.markdown, /\| nib \| nodule \| 1 \|/);
  assert.match(r.markdown, /\| gradcam \| cardiomegaly \(diffuse\) \| 1 \|/);
  assert.match(r.markdown, /top-1 among 10/);
});
