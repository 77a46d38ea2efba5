// NIB through the public explain() on the case PNG (own preprocessing) against the PyTorch reference.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { explain } from '../../native-models/explain/index';
import { CASES, MINI, REF, maxAbsDiff, readCase, readPng } from '../clip/helpers';

let bundle: ClipBundle;
before(async () => {
  bundle = await loadClipBundle(MINI);
});
after(async () => {
  await bundle?.dispose();
});

for (const name of CASES) {
  test(`${name}: NIB similarity, patch scores, token scores and map match PyTorch`, async () => {
    const c = readCase(name);
    const ref = c.float64;
    const tol = c.tolerances;
    const e = await explain(bundle, readPng(join(REF, c.image)), c.text, { method: 'nib', layer: c.layer, steps: c.steps, target: 'both', metrics: false });
    assert.ok(Math.abs(e.similarity - ref.similarity) <= (tol.similarity_abs as number), `similarity ${e.similarity} vs ${ref.similarity}`);
    assert.ok(e.image && e.text);
    assert.deepEqual(e.image.grid, ref.image.grid);
    const dPatch = maxAbsDiff(e.image.tokenScores, ref.image.patch_scores_raw);
    assert.ok(dPatch <= (tol.image_patch_scores_raw_abs as number), `patch scores differ by ${dPatch} > ${tol.image_patch_scores_raw_abs}`);
    const raw = e.text.tokens.map((t) => t.raw);
    const dTok = maxAbsDiff(raw, ref.text.token_scores_raw);
    assert.ok(dTok <= (tol.text_token_scores_raw_abs as number), `token scores differ by ${dTok} > ${tol.text_token_scores_raw_abs}`);
    assert.deepEqual(e.text.tokens.map((t) => [t.start, t.end]), c.tokens.map((t) => [t.start, t.end]));
    if (tol.text_token_scores_abs !== null) {
      const d = maxAbsDiff(e.text.tokens.map((t) => t.normalized), ref.text.token_scores);
      assert.ok(d <= (tol.text_token_scores_abs as number), `normalized token scores differ by ${d}`);
    }
    assert.equal(e.image.map.width, 64);
    assert.equal(e.image.map.height, 64);
    if (tol.image_map_abs !== null) {
      const d = maxAbsDiff(e.image.map.values, ref.image.map);
      assert.ok(d <= (tol.image_map_abs as number), `map differs by ${d} > ${tol.image_map_abs}`);
    }
    assert.equal(e.params.layer, c.layer);
    assert.equal(e.params.steps, c.steps);
    assert.equal(e.model.sha256, bundle.sha256);
  });
}
