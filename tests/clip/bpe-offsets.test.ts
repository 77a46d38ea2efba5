// Character offsets with a CLIP-style byte-level BPE tokenizer (`</w>` suffix, sub-word pieces,
// multi-byte characters split into byte tokens), built here so no download is needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClipTokenizer, groupWords } from '../../native-models/clip/tokenizer';
import { reportWords } from '../../native-models/explain/words';

function byteChars(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
  const out: string[] = new Array(256);
  bs.forEach((b, i) => (out[b] = String.fromCharCode(cs[i])));
  return out;
}

function clipBpe(words: string[]): { json: object; config: Record<string, unknown> } {
  const chars = byteChars();
  const vocab: Record<string, number> = {};
  let id = 0;
  for (const c of chars) vocab[c] = id++;
  for (const c of chars) vocab[`${c}</w>`] = id++;
  const merges: string[] = [];
  for (const w of words) {
    // Merge left to right into one token (the last piece carries </w>); "pneumothorax" stops at two pieces.
    const cs = [...w];
    const stop = w === 'pneumothorax' ? 5 : cs.length;
    let cur = cs[0];
    for (let i = 1; i < stop; i++) {
      const next = i === cs.length - 1 ? `${cs[i]}</w>` : cs[i];
      merges.push(`${cur} ${next}`);
      cur += next;
      if (!(cur in vocab)) vocab[cur] = id++;
    }
    if (w === 'pneumothorax') {
      let tail = cs[5];
      for (let i = 6; i < cs.length; i++) {
        const next = i === cs.length - 1 ? `${cs[i]}</w>` : cs[i];
        merges.push(`${tail} ${next}`);
        tail += next;
        if (!(tail in vocab)) vocab[tail] = id++;
      }
    }
  }
  const sot = id++, eot = id++;
  vocab['<|startoftext|>'] = sot;
  vocab['<|endoftext|>'] = eot;
  const special = (i: number, content: string) => ({ id: i, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true });
  const json = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [special(sot, '<|startoftext|>'), special(eot, '<|endoftext|>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }] },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: ['<|endoftext|>', eot], cls: ['<|startoftext|>', sot], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: '<|endoftext|>', continuing_subword_prefix: '', end_of_word_suffix: '</w>', fuse_unk: false, byte_fallback: false, vocab, merges },
  };
  const config = { tokenizer_class: 'CLIPTokenizer', model_max_length: 77, bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', pad_token: '<|endoftext|>' };
  return { json, config };
}


test('byte-level BPE tokens map back to spans of the original text', () => {
  const { json, config } = clipBpe(['left', 'pneumothorax', 'small']);
  const tk = new ClipTokenizer(json, config, 77, 'bpe');
  const text = 'LEFT   Pneumothorax, smäll café.';
  const r = tk.encode(text);
  assert.ok(r.tokens[0].special && r.tokens[r.tokens.length - 1].special);
  // Counted by hand in the text: "LEFT" 0–4, three spaces, "Pneum" 7–12, "othorax" 12–19, ","
  // 19, a space, "sm" 21–23, "ä" 23 (two byte tokens, one character), "l" 24, "l" 25, a space,
  // "c" 27, "a" 28, "f" 29, "é" 30 (two byte tokens), "." 31.
  const expected: [string, number, number][] = [
    ['LEFT', 0, 4], ['Pneum', 7, 12], ['othorax', 12, 19], [',', 19, 20],
    ['sm', 21, 23], ['ä', 23, 24], ['ä', 23, 24], ['l', 24, 25], ['l', 25, 26],
    ['c', 27, 28], ['a', 28, 29], ['f', 29, 30], ['é', 30, 31], ['é', 30, 31], ['.', 31, 32],
  ];
  assert.deepEqual(r.tokens.slice(1, -1).map((t) => [t.text, t.start, t.end]), expected);
  const words = groupWords(text, r.tokens).map((w) => [w.text, w.start, w.end]);
  assert.deepEqual(words, [['LEFT', 0, 4], ['Pneumothorax', 7, 19], [',', 19, 20], ['smäll', 21, 26], ['café', 27, 31], ['.', 31, 32]]);
});

test('a decomposed accent (e + U+0301) belongs to its word: the report word spans it', () => {
  const { json, config } = clipBpe(['left']);
  const tk = new ClipTokenizer(json, config, 77, 'bpe');
  const text = 'cafe\u0301 au lait';
  // "cafe" 0–4, the combining acute at 4, a space, "au" 6–8, "lait" 9–13.
  const words = reportWords(text, tk.encode(text).tokens).map((w) => [w.text, w.start, w.end]);
  assert.deepEqual(words, [['cafe\u0301', 0, 5], ['au', 6, 8], ['lait', 9, 13]]);
});

test('byte-level BPE has no unknown-word token: any text is spelled with known tokens (no vocabulary coverage to report)', () => {
  const { json, config } = clipBpe(['left']);
  const tk = new ClipTokenizer(json, config, 77, 'bpe');
  assert.equal(tk.unknownId, null);
  const r = tk.encode('Épanchement pleural gauche');
  assert.ok(r.tokens.slice(1, -1).every((t) => !t.special && t.start !== null), 'every piece of an unseen word is a known byte token with a span');
});

test('byte-level is recognised from the pre-tokenizer alone: the byte tokens still decode to their characters; its unknown token is never a report word', () => {
  const { json, config } = clipBpe(['left', 'small']);
  const tk = new ClipTokenizer({ ...json, decoder: null }, { ...config, eos_token: '</s>', bos_token: '<s>' }, 77, 'bpe');
  assert.equal(tk.kind, 'bpe');
  assert.equal(tk.unknownId, null, 'a byte-level unk_token (here not the end token) is never produced');
  const text = 'smäll left';
  assert.deepEqual(tk.encode(text).tokens.slice(1, -1).map((t) => [t.text, t.start, t.end]), [['sm', 0, 2], ['ä', 2, 3], ['ä', 2, 3], ['l', 3, 4], ['l', 4, 5], ['left', 6, 10]]);
});
