/**
 * Report texts beyond ASCII reach the explanation's word scores with the spans a reader sees:
 * a decomposed accent (e + U+0301), a ligature (U+FB01 "ﬁ"), Turkish dotted capital İ, an emoji
 * (two UTF-16 units), a CJK character. The spans below are counted by hand in the text, not read
 * back from the tokenizer; each word's raw score is the sum of its tokens' (computed here).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { explain } from '../../native-models/explain/index';
import { MINI, REF, readPng } from '../clip/helpers';
import { join } from 'node:path';

let mini: ClipBundle;
before(async () => {
  mini = await loadClipBundle(MINI, { prefer: 'cpu' });
});
after(async () => {
  await mini?.dispose();
});

const TEXT = 'Small \uFB01brosis, \u0130zmir \u{1F600} nodule \u80BA effusion cafe\u0301.';

test('words with a ligature, İ, an emoji, a CJK character and a decomposed accent keep their spans in explain()', async () => {
  // S0 m a l l4 ␠5 ﬁ6 b r o s i s12 ,13 ␠14 İ15 z m i r19 ␠20 😀21–22 ␠23 n24…e29 ␠30 肺31 ␠32
  // e33…n40 ␠41 c42 a f e45 ◌́46 .47
  const expectedWords: [string, number, number][] = [
    ['Small', 0, 5], ['\uFB01brosis', 6, 13], ['\u0130zmir', 15, 20], ['nodule', 24, 30], ['\u80BA', 31, 32], ['effusion', 33, 41], ['cafe\u0301', 42, 47],
  ];
  assert.equal(TEXT.length, 48);
  const e = await explain(mini, readPng(join(REF, 'case03.png')), TEXT, { method: 'gradcam', target: 'text', metrics: false });
  const words = e.text!.words;
  assert.deepEqual(words.map((w) => [w.text, w.start, w.end]), expectedWords);
  // The emoji is a token of its own with both of its UTF-16 units (a symbol: no word, like punctuation).
  const tokens = e.text!.tokens.filter((t) => !t.special);
  assert.deepEqual(tokens.map((t) => [t.start, t.end]), [[0, 5], [6, 13], [13, 14], [15, 20], [21, 23], [24, 30], [31, 32], [33, 41], [42, 46], [47, 48]]);
  for (const w of words) {
    const inside = tokens.filter((t) => t.start! >= w.start && t.end! <= w.end);
    assert.ok(inside.length >= 1, `${w.text} has its tokens`);
    const sum = inside.reduce((s, t) => s + t.raw, 0);
    assert.ok(Math.abs(w.raw - sum) <= 1e-12 * Math.max(1, Math.abs(sum)), `${w.text}: word score ${w.raw} is the sum of its tokens' ${sum}`);
    assert.ok(Number.isFinite(w.normalized) && w.normalized >= 0 && w.normalized <= 1);
  }
});
