// Which output is a tower's embedding: image_embeds / text_embeds; a SigLIP export by transformers.js
// (--split_modalities) names them pooler_output, which for SigLIP is the embedding; elsewhere
// pooler_output is not (CLIP's is before the projection), so nib.json must name it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClipBundle } from '../../native-models/clip/bundle';
import { parseModel, serializeModel } from '../../native-models/onnx/model';
import { FAMILY_BUNDLES, FAMILY_REF, MINI, bundleWithoutRecord, maxAbsDiff, readCase, readPixelsBin } from './helpers';

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** The bundle with each tower's embedding output renamed to pooler_output, as transformers.js exports SigLIP. */
function poolerOutputCopy(src: string): string {
  const dir = bundleWithoutRecord(src);
  made.push(dir);
  for (const [file, from] of [['vision_model.onnx', 'image_embeds'], ['text_model.onnx', 'text_embeds']]) {
    const path = join(dir, 'onnx', file);
    const m = parseModel(readFileSync(path), path);
    const rename = (t: string): string => (t === from ? 'pooler_output' : t);
    for (const n of m.graph!.node!) n.output = (n.output ?? []).map(rename);
    for (const o of m.graph!.output!) o.name = rename(o.name!);
    writeFileSync(path, serializeModel(m));
  }
  return dir;
}

test('a SigLIP export with pooler_output embeddings loads and gives the reference similarity', async () => {
  const dir = poolerOutputCopy(FAMILY_BUNDLES.siglip);
  const b = await loadClipBundle(dir, { prefer: 'cpu' });
  try {
    assert.deepEqual([b.vision.outputName, b.text.outputName], ['pooler_output', 'pooler_output']);
    const c = readCase('siglip01', FAMILY_REF);
    const img = await b.embedImages(readPixelsBin(join(FAMILY_REF, c.pixels.file)), 1);
    assert.ok(maxAbsDiff(img, c.float64.image_embeds) <= (c.tolerances.image_embeds_abs as number));
  } finally {
    await b.dispose();
  }
});

test('pooler_output outside SigLIP is refused with the nib.json hint; nib.json "vision_output"/"text_output" names it', async () => {
  const dir = poolerOutputCopy(MINI);
  await assert.rejects(loadClipBundle(dir, { prefer: 'cpu' }), /vision_model\.onnx: expected an output named "image_embeds" \(found pooler_output, last_hidden_state\); name the embedding output in nib\.json \("vision_output"\)/);
  writeFileSync(join(dir, 'nib.json'), JSON.stringify({ vision_output: 'pooler_output', text_output: 'nope' }));
  await assert.rejects(loadClipBundle(dir, { prefer: 'cpu' }), /nib\.json: "text_output" = "nope" is not an output of .*text_model\.onnx \(outputs: pooler_output, last_hidden_state\)/);
  writeFileSync(join(dir, 'nib.json'), JSON.stringify({ vision_output: 'pooler_output', text_output: 'pooler_output' }));
  const b = await loadClipBundle(dir, { prefer: 'cpu' });
  await b.dispose();
});
