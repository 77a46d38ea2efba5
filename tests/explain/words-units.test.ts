// The report's words and the vocabulary coverage warning (native-models/explain/words.ts), on
// hand-built tokens: words made of several tokens, combining marks, and the thresholds exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TextToken } from '../../native-models/clip/tokenizer';
import { coverageWarning, LOW_COVERAGE, reportWords, vocabularyCoverage } from '../../native-models/explain/words';

const UNK = 7;
/** Tokens at the given spans of `text` (id UNK where marked), between start and end specials. */
function tokens(text: string, spans: [number, number, boolean?][]): TextToken[] {
  const special = (id: number): TextToken => ({ id, token: '<s>', special: true, start: null, end: null, text: '' });
  return [special(1), ...spans.map(([s, e, unk], i) => ({ id: unk ? UNK : 100 + i, token: text.slice(s, e), special: false, start: s, end: e, text: text.slice(s, e) })), special(2)];
}

test('a word of several tokens is unknown when any of its tokens is; punctuation is no word', () => {
  const text = 'x-ray, ok';
  // "x" "-" "ray" "," "ok": the hyphen is punctuation, so "x" and "ray" are words of their own.
  const t = tokens(text, [[0, 1], [1, 2], [2, 5, true], [5, 6], [7, 9]]);
  const words = reportWords(text, t);
  assert.deepEqual(words.map((w) => [w.text, w.start, w.end, w.tokenIndices]), [['x', 0, 1, [1]], ['ray', 2, 5, [3]], ['ok', 7, 9, [5]]]);
  // "nodule" spelled as "nod" + "ule" (one unknown piece): one word, and unknown.
  const text2 = 'nodule seen';
  const t2 = tokens(text2, [[0, 3], [3, 6, true], [7, 11]]);
  const w2 = reportWords(text2, t2);
  assert.deepEqual(w2.map((w) => [w.text, w.tokenIndices]), [['nodule', [1, 2]], ['seen', [3]]]);
  assert.deepEqual(vocabularyCoverage(w2, t2, UNK), { words: 2, known: 1, unknown: ['nodule'] });
  // A byte-level tokenizer has no unknown token: nothing to count.
  assert.equal(vocabularyCoverage(w2, t2, null), null);
});

test('combining marks after a word belong to it, however many, also at the end of the text', () => {
  const text = 'cafe\u0301\u0323 ne\u0301';
  const t = tokens(text, [[0, 4], [7, 9]]);
  assert.deepEqual(reportWords(text, t).map((w) => [w.text, w.start, w.end]), [['cafe\u0301\u0323', 0, 6], ['ne\u0301', 7, 10]]);
  // Marks are no word of their own, and a word without marks is left as it is.
  const plain = tokens('ab cd', [[0, 2], [3, 5]]);
  const words = reportWords('ab cd', plain);
  assert.deepEqual(words.map((w) => [w.text, w.end]), [['ab', 2], ['cd', 5]]);
});

test('the coverage warning: from below 80% known words, naming at most five unknown ones', () => {
  assert.equal(LOW_COVERAGE, 0.8);
  const cov = (words: number, unknown: string[]) => ({ words, known: words - unknown.length, unknown });
  assert.equal(coverageWarning(null), null);
  assert.equal(coverageWarning(cov(0, [])), null, 'no words, nothing to say');
  assert.equal(coverageWarning(cov(5, ['a'])), null, '4 of 5 known is exactly 80%: enough');
  assert.equal(
    coverageWarning(cov(4, ['zz'])),
    "only 3 of 4 words are in the model's vocabulary (not: “zz”); the model reads each of the others as one unknown token, so the similarity and the scores say little about them",
  );
  const five = ['a', 'b', 'c', 'd', 'e'];
  assert.match(coverageWarning(cov(6, five))!, /\(not: “a”, “b”, “c”, “d”, “e”\);/, 'five are all named, without an ellipsis');
  assert.match(coverageWarning(cov(7, [...five, 'f']))!, /\(not: “a”, “b”, “c”, “d”, “e”, …\);/, 'a sixth is left out');
});

test('a word is dropped only when it is punctuation from its first character to its last', () => {
  // "'s" + "table" (CLIP's BPE splits a leading "'s" off), "effusion." as one token, and "..." as one token.
  const text = "'stable effusion. ...";
  const words = reportWords(text, tokens(text, [[0, 2], [2, 7], [8, 17], [18, 21]]));
  assert.deepEqual(words.map((w) => w.text), ["'stable", 'effusion.']);
});
