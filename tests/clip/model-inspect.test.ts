// `candor model inspect`: the three fixture families described correctly (family, layers, cut
// tensors found by structure, non-patch tokens, pooling, inputs, tokenizer and a sample tokenization
// with offsets), and what makes a bundle unusable named with its file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelCommand } from '../../electron/cli/commands/model';
import type { InspectReport } from '../../native-models/clip/inspect';
import { serializeModel } from '../../native-models/onnx/model';
import { DT, makeTensor } from '../../native-models/onnx/tensors';
import { FAMILY_BUNDLES, MINI, bundleWithoutRecord, recordedCuts } from './helpers';

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
function copy(src: string): string {
  const d = bundleWithoutRecord(src);
  made.push(d);
  return d;
}

async function inspect(dir: string, extra: string[] = []): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await modelCommand(['inspect', dir, ...extra], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, out: out.join(''), err: err.join('') };
}

async function report(dir: string): Promise<InspectReport> {
  const r = await inspect(dir, ['--json']);
  return JSON.parse(r.out) as InspectReport;
}

test('mini-clip: OpenAI-CLIP-style, CLS, EOS pooling, pre-LN cut tensors', async () => {
  const r = await report(MINI);
  assert.equal(r.ok, true);
  assert.equal(r.family?.id, 'openai-clip');
  const rec = recordedCuts(MINI);
  assert.deepEqual(r.vision?.cuts, rec.vision);
  assert.deepEqual(r.text?.cuts, rec.text);
  assert.deepEqual([r.vision?.grid, r.vision?.prefixTokens, r.vision?.pooling], [[8, 8], 1, { kind: 'token', index: 0 }]);
  assert.deepEqual(r.text?.pooling, { kind: 'eos' });
  assert.deepEqual(r.text?.inputs, ['input_ids']);
  assert.match(r.vision!.cutPoints, /by structure \(pre-LN/);
});

test('biomed-mini (no nib_reference): BiomedCLIP-style, post-LN text cut at the output LayerNorms, WordPiece with offsets', async () => {
  const dir = copy(FAMILY_BUNDLES.biomed);
  const r = await report(dir);
  assert.equal(r.ok, true, r.error ?? '');
  assert.equal(r.family?.id, 'biomedclip');
  const rec = recordedCuts(FAMILY_BUNDLES.biomed);
  assert.deepEqual(r.vision?.cuts, rec.vision);
  assert.deepEqual(r.text?.cuts, rec.text);
  assert.match(r.text!.cutPoints, /post-LN: the output LayerNorm/);
  assert.deepEqual([r.vision?.prefixTokens, r.vision?.pooling, r.text?.pooling], [1, { kind: 'token', index: 0 }, { kind: 'token', index: 0 }]);
  assert.deepEqual(r.text?.inputs, ['input_ids', 'attention_mask', 'token_type_ids']);
  assert.match(r.tokenizer!.type, /^WordPiece/);
  assert.equal(r.tokenizer?.unknownToken, '[UNK] (id 1)');
  assert.equal(r.tokenizer?.padding, null);
  const pieces = r.tokenizer!.sample!.tokens.filter((t) => !t.special).map((t) => [t.token, t.start, t.end]);
  assert.deepEqual(pieces.slice(3, 5), [['effusion', 19, 27], ['##s', 27, 28]], 'effusions → effusion ##s, each piece its own characters');
  const text = (await inspect(dir)).out;
  assert.match(text, /family: BiomedCLIP-style/);
  assert.match(text, /layer {2}1 {2}\/text\/transformer\/encoder\/layer\.0\/output\/LayerNorm\/Add_1_output_0/);
  assert.match(text, /effusion@19–27 ##s@27–28/);
  assert.match(text, /usable: NIB runs on both towers/);
});

test('siglip-mini (no nib_reference): SigLIP-style, no CLS, MAP head, last-position text pooling, padding to 16', async () => {
  const dir = copy(FAMILY_BUNDLES.siglip);
  const r = await report(dir);
  assert.equal(r.ok, true, r.error ?? '');
  assert.equal(r.family?.id, 'siglip');
  const rec = recordedCuts(FAMILY_BUNDLES.siglip);
  assert.deepEqual([r.vision?.cuts, r.text?.cuts], [rec.vision, rec.text]);
  assert.deepEqual([r.vision?.prefixTokens, r.vision?.tokens, r.vision?.grid], [0, 64, [8, 8]]);
  assert.equal(r.vision?.prefixText, 'none: every token is a patch');
  assert.deepEqual([r.vision?.pooling, r.text?.pooling], [{ kind: 'attention' }, { kind: 'token', index: -1 }]);
  assert.match(r.tokenizer!.padding!, /padded to 16 tokens on the right with <\|endoftext\|> \(id 212\)/);
  const sample = r.tokenizer!.sample!.tokens;
  assert.equal(sample.length, 16);
  assert.ok(sample.slice(-3).every((t) => t.pad && t.special && t.start === null));
  assert.match(r.preprocessing!, /resize to exactly 64×64, bicubic resampling, no crop/);
  assert.match((await inspect(dir)).out, /\+ 3 × \[pad\]/);
});

test('a nib.json naming a tensor the model does not have: exit 1, names nib.json and the tensor', async () => {
  const dir = copy(FAMILY_BUNDLES.biomed);
  writeFileSync(join(dir, 'nib.json'), JSON.stringify({ text_layer_input_tensors: { 0: '/text/transformer/embeddings/LayerNorm/Add_1_output_0', 1: '/text/missing' } }));
  const r = await inspect(dir);
  assert.equal(r.code, 1);
  assert.match(r.out, /cannot use this bundle: .*nib\.json: "text_layer_input_tensors"\["1"\] = "\/text\/missing" is not a tensor of .*text_model\.onnx/);
  assert.match(r.out, /tokenizer: WordPiece, 152 entries/, 'what the files say is still shown');
});

test('a tokenizer whose vocabulary does not fit the text model: exit 1, names tokenizer.json and the sizes', async () => {
  const dir = copy(FAMILY_BUNDLES.biomed);
  writeFileSync(join(dir, 'tokenizer.json'), readFileSync(join(FAMILY_BUNDLES.siglip, 'tokenizer.json')));
  const r = await report(dir);
  assert.equal(r.ok, false);
  assert.match(r.error!, /tokenizer\.json: the tokenizer has ids up to 212 but the text model's token embedding has 152 rows/);
});

test('a text tower with no layers to cut: exit 1, says neither layout was found and how to name the tensors', async () => {
  const dir = copy(FAMILY_BUNDLES.biomed);
  // input_ids → embedding → mean over tokens → projection: nothing to cut.
  const bytes = serializeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'bag-of-words',
      node: [
        { opType: 'Gather', input: ['emb', 'input_ids'], output: ['e'] },
        { opType: 'ReduceMean', input: ['e'], output: ['m'], attribute: [{ name: 'axes', type: 7, ints: [1] }, { name: 'keepdims', type: 2, i: 0 }] },
        { opType: 'MatMul', input: ['m', 'w'], output: ['text_embeds'] },
      ],
      initializer: [makeTensor('emb', DT.FLOAT, [152, 8], new Float32Array(152 * 8).fill(0.1)), makeTensor('w', DT.FLOAT, [8, 32], new Float32Array(8 * 32).fill(0.1))],
      input: [{ name: 'input_ids', type: { tensorType: { elemType: DT.INT64, shape: { dim: [{ dimParam: 'b' }, { dimParam: 's' }] } } } }],
      output: [{ name: 'text_embeds', type: { tensorType: { elemType: DT.FLOAT } } }],
    },
  });
  writeFileSync(join(dir, 'onnx', 'text_model.onnx'), bytes);
  const r = await inspect(dir);
  assert.equal(r.code, 1);
  assert.match(r.out, /text_model\.onnx: could not find the hidden state entering each layer: neither a pre-LayerNorm chain .* nor a post-LayerNorm chain .*nib\.json \("vision_layer_input_tensors" \/ "text_layer_input_tensors"\)/);
});

test('usage errors exit 2', async () => {
  assert.equal((await modelCommand([], { stdout: () => undefined, stderr: () => undefined })), 2);
  assert.equal((await modelCommand(['describe', MINI], { stdout: () => undefined, stderr: () => undefined })), 2);
  assert.equal((await inspect(MINI, ['--bogus'])).code, 2);
});
