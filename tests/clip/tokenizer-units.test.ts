// The tokenizer's own rules, on the fixture bundles' tokenizer.json files (no model is loaded):
// fixed-length padding on either side and its attention mask, truncation that keeps the closing
// token, the settings that are refused, and which token stands for an unknown word.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClipTokenizer, groupWords, TokenizerError, type TextToken, type TokenizerJsonShape } from '../../native-models/clip/tokenizer';
import { FAMILY_BUNDLES, MINI } from './helpers';

function read(dir: string): { json: TokenizerJsonShape & Record<string, unknown>; config: Record<string, unknown> } {
  return {
    json: JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as TokenizerJsonShape & Record<string, unknown>,
    config: JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>,
  };
}

// siglip-mini: word-level, padded (and truncated) to exactly 16 with its end token <|endoftext|> (212).
const siglip = read(FAMILY_BUNDLES.siglip);
const withPadding = (padding: unknown, truncation: unknown = siglip.json.truncation): TokenizerJsonShape => ({ ...siglip.json, padding, truncation } as TokenizerJsonShape);
const TEXT = 'Left pleural effusion.';

test('fixed-length padding on the right: the text, its closing token, then pads with mask 0', () => {
  const tk = new ClipTokenizer(siglip.json, siglip.config, 16, 'siglip');
  assert.equal(tk.maxLength, 16);
  assert.deepEqual(tk.padding, { length: 16, id: 212, token: '<|endoftext|>', side: 'right' });
  const r = tk.encode(TEXT);
  const words = ['left', 'pleural', 'effusion', '.'].map((w) => tk.tokenToId(w)!);
  assert.deepEqual(r.ids, [211, ...words, 212, ...new Array(10).fill(212)]);
  assert.deepEqual(r.attentionMask, [...new Array(6).fill(1), ...new Array(10).fill(0)]);
  assert.equal(r.truncated, false);
  assert.deepEqual(r.tokens.map((t) => t.pad === true), [...new Array(6).fill(false), ...new Array(10).fill(true)]);
  assert.ok(r.tokens.slice(6).every((t) => t.special && t.start === null && t.end === null && t.text === '' && t.token === '<|endoftext|>' && t.id === 212));
  assert.deepEqual(r.tokens.slice(1, 5).map((t) => [t.text, t.start, t.end]), [['Left', 0, 4], ['pleural', 5, 12], ['effusion', 13, 21], ['.', 21, 22]]);
  // The mask from the ids alone: the closing token is the pad token too, and keeps its 1.
  assert.deepEqual(tk.attentionMask(r.ids), r.attentionMask);
  assert.deepEqual(tk.attentionMask(r.ids.slice(0, 6)), [1, 1, 1, 1, 1, 1], 'ids of another length than the padding are all text');
  assert.deepEqual(tk.pad(r.ids.slice(0, 6)), r.ids);
  for (const n of [16, 17]) {
    const full = Array.from({ length: n }, (_, i) => i + 13);
    assert.equal(tk.pad(full), full, `a sequence of ${n} (at or over the length) is left as it is`);
  }
  // Other lengths than the padded one are text throughout, even ending in pad ids.
  assert.deepEqual(tk.attentionMask([211, 42, 212, 212]), [1, 1, 1, 1]);
});

test('truncation keeps the closing token; a full-length sequence has no padding to mask', () => {
  const tk = new ClipTokenizer(siglip.json, siglip.config, 16, 'siglip');
  const r = tk.encode('no nodule '.repeat(8));
  const no = tk.tokenToId('no')!;
  const nodule = tk.tokenToId('nodule')!;
  assert.equal(r.truncated, true);
  assert.deepEqual(r.ids, [211, ...new Array(7).fill([no, nodule]).flat(), 212]);
  assert.deepEqual(r.attentionMask, new Array(16).fill(1));
  assert.deepEqual(tk.attentionMask(r.ids), new Array(16).fill(1), 'the lone closing token at the end is text, not padding');
  assert.deepEqual([r.tokens[14].start, r.tokens[14].end], [63, 69], 'the last kept word is the 7th "nodule" (at 6·10 + 3)');
  assert.equal(r.tokens.length, 16);
  assert.deepEqual([r.tokens[15].token, r.tokens[15].special, r.tokens[14].token], ['<|endoftext|>', true, 'nodule']);
  const exact = tk.encode('no nodule '.repeat(7));
  assert.equal(exact.ids.length, 16);
  assert.equal(exact.truncated, false, 'exactly the length: nothing cut');
  assert.equal(exact.ids[15], 212);
  // Without a closing token (no post-processor) the first 16 text tokens are kept.
  const bare = new ClipTokenizer({ ...siglip.json, post_processor: null } as TokenizerJsonShape, siglip.config, 16, 'bare');
  const cut = bare.encode('no nodule '.repeat(9));
  assert.deepEqual(cut.ids, new Array(8).fill([no, nodule]).flat());
  assert.equal(cut.truncated, true);
});

test('fixed-length padding on the left puts the pads, and the zeros of the mask, first', () => {
  const tk = new ClipTokenizer(withPadding({ ...siglip.json.padding, direction: 'Left' }), siglip.config, 16, 'left');
  assert.equal(tk.padding!.side, 'left');
  const r = tk.encode(TEXT);
  assert.deepEqual(r.ids.slice(10), [211, ...['left', 'pleural', 'effusion', '.'].map((w) => tk.tokenToId(w)!), 212]);
  assert.deepEqual(r.ids.slice(0, 10), new Array(10).fill(212));
  assert.deepEqual(r.attentionMask, [...new Array(10).fill(0), ...new Array(6).fill(1)]);
  assert.deepEqual(r.tokens.map((t) => t.pad === true), [...new Array(10).fill(true), ...new Array(6).fill(false)]);
  assert.deepEqual(tk.attentionMask(r.ids), r.attentionMask);
  assert.deepEqual(tk.pad([211, 212]), [...new Array(14).fill(212), 211, 212]);
});

test('a pad token other than the closing token: every trailing pad id is padding; a missing pad_token is named by its id', () => {
  const dash = siglip.json.padding ? { ...siglip.json.padding, pad_id: 5, pad_token: undefined } : null;
  const tk = new ClipTokenizer(withPadding(dash), siglip.config, 16, 'dash');
  assert.deepEqual(tk.padding, { length: 16, id: 5, token: '5', side: 'right' });
  const r = tk.encode('left');
  assert.deepEqual(r.ids, [211, tk.tokenToId('left')!, 212, ...new Array(13).fill(5)]);
  assert.deepEqual(tk.attentionMask(r.ids), [1, 1, 1, ...new Array(13).fill(0)]);
  assert.deepEqual(r.attentionMask, [1, 1, 1, ...new Array(13).fill(0)]);
  assert.equal(r.tokens[3].token, '5');
});

test('padding settings that cannot be used are refused, naming the file; other strategies pad nothing', () => {
  const make = (padding: unknown, max = 16) => () => new ClipTokenizer(withPadding(padding), siglip.config, max, 'bundle/tokenizer.json');
  const fixed = (n: unknown) => ({ ...siglip.json.padding, strategy: { Fixed: n } });
  for (const bad of [1, 2.5, '16', null]) {
    assert.throws(make(fixed(bad)), (e: unknown) => e instanceof TokenizerError && e.message === `bundle/tokenizer.json: padding.strategy.Fixed must be an integer ≥ 2 (got ${JSON.stringify(bad)})`, `Fixed ${JSON.stringify(bad)}`);
  }
  assert.equal(new ClipTokenizer(withPadding(fixed(2)), siglip.config, 16, 'two').maxLength, 2);
  assert.throws(make({ strategy: { Fixed: 8 } }), { message: 'bundle/tokenizer.json: fixed-length padding without a pad_id' });
  assert.throws(make(fixed(16), 12), (e: unknown) => e instanceof TokenizerError && e.message === 'bundle/tokenizer.json: pads every text to 16 tokens, but the text model takes at most 12');
  // BatchLongest pads nothing for one text; the truncation (16) still limits the length.
  const longest = new ClipTokenizer(withPadding({ ...siglip.json.padding, strategy: 'BatchLongest' }), siglip.config, 32, 'longest');
  assert.equal(longest.padding, null);
  assert.equal(longest.maxLength, 16);
  assert.deepEqual(longest.encode(TEXT).ids.length, 6);
  assert.equal(new ClipTokenizer(withPadding({ strategy: {} }), siglip.config, 32, 'empty').padding, null);
  for (const strategy of [undefined, null, 'Fixed']) assert.equal(new ClipTokenizer(withPadding({ strategy, pad_id: 212 }), siglip.config, 32, 'odd').padding, null, `strategy ${strategy}`);
  assert.equal(new ClipTokenizer(withPadding(null, { max_length: '8' }), siglip.config, 32, 'text').maxLength, 32, 'a max_length that is no number is ignored');
  assert.equal(new ClipTokenizer(withPadding(null, null), siglip.config, 32, 'none').maxLength, 32);
  assert.equal(new ClipTokenizer(withPadding(null, { max_length: 0 }), siglip.config, 32, 'zero').maxLength, 32, 'a truncation to 0 is no truncation');
  assert.equal(new ClipTokenizer(withPadding(null, { max_length: 40 }), siglip.config, 32, 'longer').maxLength, 32, 'the model limit holds when truncation allows more');
  assert.throws(() => new ClipTokenizer({ model: { type: 'Nonsense' } }, {}, 16, 'broken.json'), (e: unknown) => e instanceof TokenizerError && e.message.startsWith('broken.json: cannot build the tokenizer: '));
});

test('the unknown-word token is report text (not special) and named; byte-level BPE and WordPiece kinds', () => {
  const mini = read(MINI);
  const tk = new ClipTokenizer(mini.json, mini.config, 32, 'mini');
  assert.equal(tk.kind, 'wordlevel');
  assert.equal(tk.unknownId, 0);
  assert.equal(tk.unknownToken, '<|unk|>');
  assert.equal(tk.padding, null);
  const r = tk.encode('Xylo nodule, left.');
  assert.deepEqual(r.tokens.map((t) => [t.id, t.special, t.start, t.end]), [
    [211, true, null, null], [0, false, 0, 4], [tk.tokenToId('nodule'), false, 5, 11], [2, false, 11, 12], [tk.tokenToId('left'), false, 13, 17], [1, false, 17, 18], [212, true, null, null],
  ]);
  assert.deepEqual(r.attentionMask, [1, 1, 1, 1, 1, 1, 1]);
  // The unknown token named only by the tokenizer config.
  const fromConfig = new ClipTokenizer({ ...mini.json, model: { ...mini.json.model, unk_token: undefined } } as TokenizerJsonShape, mini.config, 32, 'cfg');
  assert.equal(fromConfig.unknownId, 0);
  // An unknown token that is also the end token is no report word.
  const asEos = new ClipTokenizer(mini.json, { ...mini.config, eos_token: '<|unk|>' }, 32, 'eos');
  assert.equal(asEos.unknownId, null);
  assert.equal(asEos.encode('xylo').tokens[1].special, true);
  const asBos = new ClipTokenizer(mini.json, { ...mini.config, bos_token: '<|unk|>' }, 32, 'bos');
  assert.equal(asBos.unknownId, null);
  // An unknown token the vocabulary does not have stands for nothing.
  assert.strictEqual(new ClipTokenizer({ ...mini.json, model: { ...mini.json.model, unk_token: undefined } } as TokenizerJsonShape, { unk_token: 'nope' }, 32, 'nope').unknownId, null);
  assert.deepEqual(tk.attentionMask(r.ids), [1, 1, 1, 1, 1, 1, 1], 'no padding: every position is text');
  // An added token that is not special is report text.
  const added = new ClipTokenizer({ ...mini.json, added_tokens: [...(mini.json.added_tokens ?? []), { id: 42, content: 'left', special: false }] } as TokenizerJsonShape, mini.config, 32, 'added');
  assert.deepEqual(added.encode('left').tokens.map((t) => [t.id, t.special, t.start]), [[211, true, null], [42, false, 0], [212, true, null]]);

  const bio = read(FAMILY_BUNDLES.biomed);
  const wp = new ClipTokenizer(bio.json, bio.config, 32, 'biomed');
  assert.equal(wp.kind, 'wordpiece');
  assert.equal(wp.unknownId, 1);
  assert.equal(wp.unknownToken, '[UNK]');
  assert.deepEqual(wp.encode('Xylo nodule').tokens.map((t) => [t.token, t.special, t.start, t.end, t.text]), [
    ['[CLS]', true, null, null, ''], ['[UNK]', false, 0, 4, 'Xylo'], ['nodule', false, 5, 11, 'nodule'], ['[SEP]', true, null, null, ''],
  ]);
});

test('WordPiece: pieces carry their own characters, ## continuations join their word, [UNK] covers its whole word and nothing of the next', () => {
  const bio = read(FAMILY_BUNDLES.biomed);
  const tk = new ClipTokenizer(bio.json, bio.config, 32, 'biomed');
  const text = 'Small left pleural effusions; no pneumothorax (unchanged). Mild cardiomegaly, xylonodule nodules.';
  const r = tk.encode(text);
  assert.deepEqual(r.tokens.filter((t) => !t.special).map((t) => `${t.token}:${t.text}:${t.start}`), [
    'small:Small:0', 'left:left:6', 'pleural:pleural:11', 'effusion:effusion:19', '##s:s:27', ';:;:28', 'no:no:30', 'pneumo:pneumo:33', '##thorax:thorax:39',
    '(:(:46', 'un:un:47', '##changed:changed:49', '):):56', '.:.:57', 'mild:Mild:59', 'cardio:cardio:64', '##mega:mega:70', '##ly:ly:74', ',:,:76', '[UNK]:xylonodule:78', 'nodule:nodule:89', '##s:s:95', '.:.:96',
  ]);
  const unk = r.tokens.find((t) => t.token === '[UNK]')!;
  assert.deepEqual([unk.start, unk.end], [78, 88]);
  assert.deepEqual(groupWords(text, r.tokens).filter((w) => /\w/.test(w.text)).map((w) => w.text), ['Small', 'left', 'pleural', 'effusions', 'no', 'pneumothorax', 'unchanged', 'Mild', 'cardiomegaly', 'xylonodule', 'nodules']);
});

test('Unigram (SentencePiece ▁ pieces): the marker is no text, a lone ▁ has no span, pieces join their word', () => {
  const special = (id: number, content: string) => ({ id, content, special: true, single_word: false, lstrip: false, rstrip: false, normalized: false });
  const meta = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true };
  const json = {
    version: '1.0', truncation: null, padding: null, normalizer: null, pre_tokenizer: meta, decoder: meta,
    added_tokens: [special(0, '<unk>'), special(1, '</s>')],
    post_processor: { type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }], pair: [], special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } } },
    model: { type: 'Unigram', unk_id: 0, byte_fallback: false, vocab: [['<unk>', 0], ['</s>', 0], ['\u2581left', -1], ['\u2581effusion', -1], ['\u2581pleur', -2], ['al', -2], ['\u2581', -3], ['l', -5], ['e', -5]] },
  };
  const tk = new ClipTokenizer(json, { unk_token: '<unk>', eos_token: '</s>' }, 16, 'unigram');
  assert.equal(tk.kind, 'unigram');
  assert.equal(tk.unknownId, 0);
  const text = 'left  pleural effusion xq';
  const r = tk.encode(text);
  assert.deepEqual(r.tokens.map((t) => [t.token, t.start, t.end, t.text]), [
    ['\u2581left', 0, 4, 'left'], ['\u2581', null, null, ''], ['\u2581pleur', 6, 11, 'pleur'], ['al', 11, 13, 'al'], ['\u2581effusion', 14, 22, 'effusion'], ['\u2581', null, null, ''], ['xq', 23, 25, 'xq'], ['</s>', null, null, ''],
  ]);
  assert.deepEqual(groupWords(text, r.tokens).map((w) => [w.text, w.tokenIndices]), [['left', [0]], ['pleural', [2, 3]], ['effusion', [4]], ['xq', [6]]]);
});

/** A token as the tokenizer gives it, for groupWords on hand-made spans. */
const tok = (text: string, start: number | null, end: number | null, special = false): TextToken => ({ id: 1, token: text, special, start, end, text });

test('groupWords: touching spans join, a gap or whitespace splits, punctuation is its own word, tokens without a span are skipped', () => {
  const words = (text: string, tokens: TextToken[]) => groupWords(text, tokens).map((w) => [w.text, w.start, w.end, w.tokenIndices]);
  assert.deepEqual(words('ab cd', [tok('a', 0, 1), tok('b', 1, 2), tok('c', 3, 4), tok('d', 4, 5)]), [['ab', 0, 2, [0, 1]], ['cd', 3, 5, [2, 3]]]);
  // The hyphen has no token: 'a' and 'b' do not touch.
  assert.deepEqual(words('a-b', [tok('a', 0, 1), tok('b', 2, 3)]), [['a', 0, 1, [0]], ['b', 2, 3, [1]]]);
  // Punctuation-only tokens (anywhere in the token, not only at one end) stand alone.
  assert.deepEqual(words('x.,y', [tok('x', 0, 1), tok('.,', 1, 3), tok('y', 3, 4)]), [['x', 0, 1, [0]], ['.,', 1, 3, [1]], ['y', 3, 4, [2]]]);
  assert.deepEqual(words('a.b', [tok('a.', 0, 2), tok('b', 2, 3)]), [['a.b', 0, 3, [0, 1]]], 'a token with a letter is no punctuation');
  assert.deepEqual(words('.ab', [tok('.a', 0, 2), tok('b', 2, 3)]), [['.ab', 0, 3, [0, 1]]]);
  // Two byte tokens of one character share its span: one word, both tokens; a punctuation mark split in bytes too.
  assert.deepEqual(words('é—', [tok('é', 0, 1), tok('é', 0, 1), tok('—', 1, 2), tok('—', 1, 2)]), [['é', 0, 1, [0, 1]], ['—', 1, 2, [2, 3]]]);
  assert.deepEqual(words('ab', [tok('a', 0, 1), tok('', null, null), tok('x', 1, null), tok('y', null, 2), tok('<s>', 0, 1, true), tok('b', 1, 2)]), [['ab', 0, 2, [0, 5]]]);
});
