// NIB on mini-clip through the graph-building primitives alone (the oracle in nib-oracle.ts, all
// steps as one batch), checked against the PyTorch-autograd reference numbers. The app's own path
// (nibAttribution, explain(), the CLI) is checked against the same numbers in tests/explain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFERENCE } from './fixtures';
import { encodeCase, gradientModel, hiddenName, ids, run, scaledBatch, stepContributions, sumRows, type OracleCase } from './nib-oracle';

interface Block {
  similarity: number;
  image: { patch_scores_raw: number[]; cls_score_raw: number };
  text: { token_scores_raw: number[] };
}
interface Case extends OracleCase {
  tolerances: { similarity_abs: number; image_patch_scores_raw_abs: number; text_token_scores_raw_abs: number };
  float64: Block;
}

function maxAbsDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i])));
}

const cases = ['01', '02', '03', '04', '05', '06', '07', '08'].map(
  (k) => JSON.parse(readFileSync(join(REFERENCE, `case${k}.json`), 'utf8')) as Case,
);

for (const c of cases) {
  test(`NIB reference ${c.case} (layer ${c.layer}, ${c.steps} steps), both towers`, async () => {
    const enc = await encodeCase(c);
    const vName = hiddenName('vision', c.layer);
    const tName = hiddenName('text', c.layer);
    const ref = c.float64;

    // image side: text embedding held fixed as the target
    const hv = enc.vision;
    const vModel = await gradientModel('vision', c.layer, hv, enc.textEmbeds, c.input_ids);
    const vRes = await run(vModel, { [vName]: scaledBatch(hv, c.steps), target_embeds: enc.textEmbeds });
    const sims = vRes.similarity.data as Float32Array;
    assert.ok(Math.abs(sims[c.steps - 1] - ref.similarity) <= c.tolerances.similarity_abs, `similarity ${sims[c.steps - 1]} vs ${ref.similarity}`);
    const vScores = sumRows(stepContributions(hv, vRes[`grad:${vName}`], c.steps));
    const tolV = c.tolerances.image_patch_scores_raw_abs;
    const patchDiff = maxAbsDiff(vScores.slice(1), ref.image.patch_scores_raw);
    if (process.env.NIB_VERBOSE) console.log(c.case, "patch", patchDiff / tolV);
    assert.ok(patchDiff <= tolV, `${c.case} patch scores differ by ${patchDiff} > ${tolV}`);
    assert.ok(Math.abs(vScores[0] - ref.image.cls_score_raw) <= tolV, `${c.case} CLS score ${vScores[0]} vs ${ref.image.cls_score_raw}`);

    // text side: image embedding held fixed
    const ht = enc.text;
    const tModel = await gradientModel('text', c.layer, ht, enc.imageEmbeds, c.input_ids);
    const tRes = await run(tModel, { [tName]: scaledBatch(ht, c.steps), target_embeds: enc.imageEmbeds, input_ids: ids(c.input_ids, c.steps) });
    const tSim = (tRes.similarity.data as Float32Array)[c.steps - 1];
    assert.ok(Math.abs(tSim - ref.similarity) <= c.tolerances.similarity_abs, `text-side similarity ${tSim} vs ${ref.similarity}`);
    const tScores = sumRows(stepContributions(ht, tRes[`grad:${tName}`], c.steps));
    const tokDiff = maxAbsDiff(tScores, ref.text.token_scores_raw);
    if (process.env.NIB_VERBOSE) console.log(c.case, "tokens", tokDiff / c.tolerances.text_token_scores_raw_abs);
    assert.ok(tokDiff <= c.tolerances.text_token_scores_raw_abs, `${c.case} token scores differ by ${tokDiff} > ${c.tolerances.text_token_scores_raw_abs}`);
  });
}
