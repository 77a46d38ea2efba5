// Word scores on a WordPiece bundle (biomed-mini): sub-words merge into the report's words
// (`effusions` → `effusion ##s` → one word, its score the sum of its pieces), punctuation is no
// word, and an unknown word ([UNK]) keeps its own span even when the next word is spelled inside it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { explain } from '../../native-models/explain/index';
import { FAMILY_BUNDLES, FAMILY_REF, bundleWithoutRecord, readPng } from '../clip/helpers';

const TEXT = 'Small left pleural effusions; no pneumothorax (unchanged). Mild cardiomegaly, xylonodule nodules.';

let dir: string;
let bundle: ClipBundle;
before(async () => {
  dir = bundleWithoutRecord(FAMILY_BUNDLES.biomed);
  bundle = await loadClipBundle(dir, { prefer: 'cpu' });
});
after(async () => {
  await bundle?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('WordPiece pieces carry their own characters; [UNK] covers its whole word and nothing of the next', () => {
  const tk = bundle.tokenize(TEXT);
  const rows = tk.tokens.filter((t) => !t.special).map((t) => `${t.token}:${t.text}`);
  assert.deepEqual(rows, [
    'small:Small', 'left:left', 'pleural:pleural', 'effusion:effusion', '##s:s', ';:;', 'no:no', 'pneumo:pneumo', '##thorax:thorax',
    '(:(', 'un:un', '##changed:changed', '):)', '.:.', 'mild:Mild', 'cardio:cardio', '##mega:mega', '##ly:ly', ',:,', '[UNK]:xylonodule', 'nodule:nodule', '##s:s', '.:.',
  ]);
  const unk = tk.tokens.find((t) => t.token === '[UNK]')!;
  assert.deepEqual([unk.start, unk.end], [TEXT.indexOf('xylonodule'), TEXT.indexOf('xylonodule') + 10]);
  const nodule = tk.tokens.find((t) => t.token === 'nodule')!;
  assert.equal(nodule.start, TEXT.indexOf(' nodules') + 1, 'the word after the unknown one is not found inside it');
});

test('word scores: sub-words merged into the report\'s words, each the sum of its pieces; punctuation is no word', async () => {
  const e = await explain(bundle, readPng(join(FAMILY_REF, 'biomed01.png')), TEXT, { method: 'nib', layer: 1, steps: 4, target: 'text', metrics: false });
  const words = e.text!.words;
  assert.deepEqual(words.map((w) => w.text), ['Small', 'left', 'pleural', 'effusions', 'no', 'pneumothorax', 'unchanged', 'Mild', 'cardiomegaly', 'xylonodule', 'nodules']);
  const tokens = e.text!.tokens;
  for (const w of words) {
    assert.equal(TEXT.slice(w.start, w.end), w.text);
    const inside = tokens.filter((t) => !t.special && t.start !== null && t.start >= w.start && t.end! <= w.end);
    assert.ok(inside.length >= 1);
    const sum = inside.reduce((s, t) => s + t.raw, 0);
    assert.ok(Math.abs(w.raw - sum) <= 1e-12 * Math.max(1, Math.abs(sum)), `${w.text}: ${w.raw} vs the sum of its pieces ${sum}`);
  }
  assert.equal(tokens.filter((t) => !t.special && t.start !== null && words.every((w) => t.start! < w.start || t.end! > w.end)).map((t) => t.text).join(''), ';().,.', 'only punctuation is left out of the words');
  const coverage = e.warnings.find((w) => w.includes("model's vocabulary"));
  assert.equal(coverage, undefined, '10 of 11 words known: above the warning threshold');
  const pieces = words.find((w) => w.text === 'cardiomegaly')!;
  assert.equal(tokens.filter((t) => t.start !== null && t.start >= pieces.start && t.end! <= pieces.end).length, 3, 'cardio ##mega ##ly');
});
