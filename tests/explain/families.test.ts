// NIB on the two other model families (fixtures/reference-families: a BiomedCLIP-like bundle with a
// post-LN BERT text tower and WordPiece, and a SigLIP-like one without CLS, with an attention-pooling
// head and fixed-length padding), through exactly the path an OpenAI-CLIP bundle takes: `candor
// explain --json` and explain(). The bundles are copies without the harness's nib_reference record,
// so the cut tensors, the non-patch tokens and the pooling are found by structure.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainCommand } from '../../electron/cli/commands/explain';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { preprocess } from '../../native-models/clip/preprocess';
import { explain } from '../../native-models/explain/index';
import { nibAttribution } from '../../native-models/explain/nib';
import { tailGradient } from '../../native-models/explain/graphs';
import {
  FAMILY_BUNDLES, FAMILY_CASES, FAMILY_REF, bundleWithoutRecord, maxAbsDiff, readCase, readPixelsBin, readPng, recordedCuts, type Family, type RefCase,
} from '../clip/helpers';
import { assertMatchesReference } from './reference';

const FAMILIES: Family[] = ['biomed', 'siglip'];
const dirs = {} as Record<Family, string>;
const bundles = {} as Record<Family, ClipBundle>;
const out = mkdtempSync(join(tmpdir(), 'candor-families-json-'));

before(async () => {
  for (const f of FAMILIES) {
    dirs[f] = bundleWithoutRecord(FAMILY_BUNDLES[f]);
    bundles[f] = await loadClipBundle(dirs[f], { prefer: 'cpu' });
  }
});
after(async () => {
  for (const f of FAMILIES) {
    await bundles[f]?.dispose();
    if (dirs[f]) rmSync(dirs[f], { recursive: true, force: true });
  }
  rmSync(out, { recursive: true, force: true });
});

const familyOf = (c: RefCase): Family => (c.case.startsWith('biomed') ? 'biomed' : 'siglip');

test('the cut tensors found by structure are the ones the PyTorch harness recorded, in both layouts', () => {
  for (const f of FAMILIES) {
    const rec = recordedCuts(FAMILY_BUNDLES[f]);
    assert.deepEqual(bundles[f].vision.layerInputs, rec.vision, `${f} vision`);
    assert.deepEqual(bundles[f].text.layerInputs, rec.text, `${f} text`);
  }
  assert.deepEqual(bundles.biomed.vision.cuts, { source: 'structure', layout: 'pre-ln' });
  assert.deepEqual(bundles.biomed.text.cuts, { source: 'structure', layout: 'post-ln' }, 'BERT: the stream between layers is the output LayerNorm');
  assert.deepEqual(bundles.siglip.vision.cuts, { source: 'structure', layout: 'pre-ln' });
  assert.deepEqual(bundles.siglip.text.cuts, { source: 'structure', layout: 'pre-ln' });
});

test('non-patch tokens and pooling are read from the token count and the graph', () => {
  const b = bundles.biomed;
  const s = bundles.siglip;
  assert.deepEqual([b.grid, b.visionPrefix, b.visionCls, b.vision.tokens], [[8, 8], 1, true, 65]);
  assert.deepEqual([s.grid, s.visionPrefix, s.visionCls, s.vision.tokens], [[8, 8], 0, false, 64], 'SigLIP: every token is a patch');
  assert.deepEqual(b.vision.pooling, { kind: 'token', index: 0 });
  assert.deepEqual(b.text.pooling, { kind: 'token', index: 0 });
  assert.deepEqual(s.vision.pooling, { kind: 'attention' });
  assert.deepEqual(s.text.pooling, { kind: 'token', index: -1 });
  assert.deepEqual(b.text.extraInputs, ['attention_mask', 'token_type_ids']);
  assert.deepEqual([b.tokenizer.kind, b.tokenizer.padding, b.tokenizer.unknownId], ['wordpiece', null, 1]);
  assert.deepEqual([s.tokenizer.kind, s.tokenizer.padding], ['wordlevel', { length: 16, id: 212, token: '<|endoftext|>', side: 'right' }]);
});

for (const f of FAMILIES) {
  for (const name of FAMILY_CASES[f]) {
    test(`${name}: own preprocessing gives pixels.bin; tokens, spans and padding as the reference`, () => {
      const c = readCase(name, FAMILY_REF);
      const bundle = bundles[f];
      const { pixelValues } = preprocess(bundle, readPng(join(FAMILY_REF, c.image)));
      const ref = readPixelsBin(join(FAMILY_REF, c.pixels.file));
      assert.ok(maxAbsDiff(pixelValues, ref) <= 2e-7, `pixels differ by ${maxAbsDiff(pixelValues, ref)}`);
      const tk = bundle.tokenize(c.text);
      assert.deepEqual(tk.ids, c.input_ids);
      assert.deepEqual(tk.tokens.map((t) => [t.start, t.end, t.text]), c.tokens.map((t) => [t.start, t.end, t.text]));
      assert.deepEqual(tk.tokens.map((t) => !!t.pad), c.tokens.map((t) => !!t.pad));
      assert.equal(tk.truncated, c.text_padding?.truncated ?? false);
      const real = c.text_padding?.num_real_tokens ?? c.input_ids.length;
      assert.deepEqual(tk.attentionMask, c.input_ids.map((_, i) => (i < real ? 1 : 0)));
    });
  }
}

interface CliJson {
  similarity: number;
  image: { grid: [number, number]; tokenScores: number[]; map: { width: number; height: number; values: number[] } };
  text: { tokens: { text: string; start: number | null; end: number | null; raw: number; normalized: number; special: boolean; pad?: boolean }[]; words: { text: string }[] };
  params: { layer: number; steps: number };
}

async function cli(c: RefCase, batch: number): Promise<CliJson> {
  const file = join(out, `${c.case}-${batch}.json`);
  const err: string[] = [];
  const code = await explainCommand(
    ['--model', dirs[familyOf(c)], '--image', join(FAMILY_REF, c.image), '--text', c.text, '--layer', String(c.layer), '--steps', String(c.steps), '--batch', String(batch), '--json', file, '--no-metrics', '--quiet'],
    { stdout: () => undefined, stderr: (s) => err.push(s) },
  );
  assert.equal(code, 0, err.join(''));
  return JSON.parse(readFileSync(file, 'utf8')) as CliJson;
}

for (const f of FAMILIES) {
  for (const name of FAMILY_CASES[f]) {
    test(`candor explain --json ${name} matches the PyTorch reference (--batch 1 and 16)`, async () => {
      const c = readCase(name, FAMILY_REF);
      for (const batch of [1, 16]) {
        const j = await cli(c, batch);
        assertMatchesReference(
          { similarity: j.similarity, patch: j.image.tokenScores, tokens: j.text.tokens.map((t) => t.raw), map: j.image.map.values, normalizedTokens: j.text.tokens.map((t) => t.normalized) },
          c,
          `${name} --batch ${batch}`,
        );
        assert.deepEqual(j.image.grid, c.float64.image.grid);
        assert.equal(j.image.tokenScores.length, 64, 'every patch is mapped (CLS dropped where there is one, nothing dropped where there is none)');
        assert.deepEqual(j.text.tokens.map((t) => [t.text, t.start, t.end]), c.tokens.map((t) => [t.text, t.start, t.end]));
        assert.deepEqual(j.text.tokens.map((t) => !!t.pad), c.tokens.map((t) => !!t.pad), 'padded positions are reported as such');
        assert.ok(j.text.tokens.filter((t) => t.pad).every((t) => t.special && t.start === null), 'padding is never a word');
        assert.deepEqual([j.params.layer, j.params.steps], [c.layer, c.steps]);
      }
    });
  }
}

test('explain() (the app\'s path) with the steps in batches of 7 agrees with the reference on every family case', async () => {
  for (const f of FAMILIES) {
    for (const name of FAMILY_CASES[f]) {
      const c = readCase(name, FAMILY_REF);
      const e = await explain(bundles[f], readPng(join(FAMILY_REF, c.image)), c.text, { method: 'nib', layer: c.layer, steps: c.steps, target: 'both', metrics: false, extra: { batch: 7 } });
      assertMatchesReference(
        { similarity: e.similarity, patch: e.image!.tokenScores, tokens: e.text!.tokens.map((t) => t.raw), map: e.image!.map.values, normalizedTokens: e.text!.tokens.map((t) => t.normalized) },
        c,
        `${name} explain()`,
      );
    }
  }
});

test('biomed: the CLS score and every step loss match; siglip: no token is dropped as CLS', async () => {
  for (const name of ['biomed01', 'siglip01']) {
    const c = readCase(name, FAMILY_REF);
    const bundle = bundles[familyOf(c)];
    const vName = bundle.vision.layerInputs[c.layer];
    const v = await bundle.runVision(readPixelsBin(join(FAMILY_REF, c.pixels.file)), 1, [vName]);
    const t = await bundle.runText(c.input_ids, [bundle.text.outputName]);
    const h = v[vName];
    const a = await nibAttribution(bundle, { kind: 'vision', layer: c.layer, h: h.data as Float32Array, T: Number(h.dims[1]), D: Number(h.dims[2]) }, t[bundle.text.outputName].data as Float32Array, c.steps, null, { maxBatch: 16 });
    const tol = c.tolerances.image_patch_scores_raw_abs as number;
    const ref = c.float64.image;
    if (ref.cls_score_raw === null) assert.equal(a.scores.length, 64);
    else {
      assert.equal(a.scores.length, 65);
      assert.ok(Math.abs(a.scores[0] - ref.cls_score_raw) <= tol, `CLS ${a.scores[0]} vs ${ref.cls_score_raw}`);
    }
    assert.ok(maxAbsDiff(a.scores.slice(bundle.visionPrefix), ref.patch_scores_raw) <= tol);
    assert.ok(maxAbsDiff(a.stepLosses, c.float64.debug.vision_step_losses) <= (c.tolerances.similarity_abs as number));
  }
});

test('the last-layer shortcut (reassociated attention for the pooled row): biomed CLS (fused qkv, and post-LN BERT), siglip text (last position); none for the MAP head', async () => {
  const applied = { applied: true, reason: null, via: 'reassociated attention' };
  assert.deepEqual((await tailGradient(bundles.biomed, 'vision', 1)).specialized, applied, 'timm: one fused qkv projection');
  assert.deepEqual((await tailGradient(bundles.biomed, 'text', 1)).specialized, applied, 'post-LN: the layer input itself feeds Q/K/V');
  assert.deepEqual((await tailGradient(bundles.siglip, 'text', 1)).specialized, applied, 'the last position; K reshaped with the query length');
  assert.equal((await tailGradient(bundles.siglip, 'vision', 1)).specialized, undefined, 'an attention-pooling head reads every token of the last layer: nothing to drop');
});

test('the last-layer caveat: said for a CLS-pooled tower (biomed03), not for the attention-pooling head (siglip03), whose last layer is not degenerate', async () => {
  const said = async (name: string): Promise<boolean> => {
    const c = readCase(name, FAMILY_REF);
    const e = await explain(bundles[familyOf(c)], readPng(join(FAMILY_REF, c.image)), c.text, { method: 'nib', layer: c.layer, steps: c.steps, target: 'image', metrics: false });
    return e.warnings.some((w) => /is the last vision layer/.test(w));
  };
  assert.equal(await said('biomed03'), true);
  assert.equal(await said('siglip03'), false);
});
