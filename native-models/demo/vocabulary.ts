// The demo model's WordLevel tokenizer, in the same HF `tokenizers` JSON form as the mini-clip
// fixture: lowercase, whitespace split, every punctuation character isolated, <|unk|> = 0 and
// <|startoftext|>, <|endoftext|> as the two highest ids (EOS highest: CLIP pools at argmax id).

import { Tokenizer } from '@huggingface/tokenizers';
import { FINDING_TYPES, samplePhantom, type FindingRequest } from './phantom';
import { writeReport } from './report-grammar';
import { UserInputError } from '../errors';

export const UNK = '<|unk|>';
export const BOS = '<|startoftext|>';
export const EOS = '<|endoftext|>';
export const CONTEXT_LENGTH = 64;

const PUNCTUATION = /[\p{P}\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E]/u;

/** Same pre-tokenization as the tokenizer.json below (used only to collect the vocabulary). */
export function splitWords(text: string): string[] {
  const out: string[] = [];
  for (const chunk of text.toLowerCase().split(/\s+/)) {
    let word = '';
    for (const ch of chunk) {
      if (PUNCTUATION.test(ch)) {
        if (word) out.push(word);
        out.push(ch);
        word = '';
      } else word += ch;
    }
    if (word) out.push(word);
  }
  return out;
}

/** Common report words beyond the grammar, so that a user's own report is mostly in-vocabulary. */
const EXTRA_WORDS = (
  'a an and are as at be both but by chest clear compared consistent demonstrates did evidence findings for from has have ' +
  'however in interval is it lobe lobes lower lung lungs may middle mild minimal new no normal not of on or patient possible ' +
  'prior radiograph right left seen since small stable study that the there this to unchanged upper view was were with without ' +
  'atelectasis edema opacity opacities infiltrate pneumonia effusions nodules masses heart cardiac size silhouette enlarged ' +
  'mediastinal mediastinum hilar hila bilateral apex apical base basal bases zone zones costophrenic angle angles diaphragm ' +
  'hemidiaphragm rib ribs fracture fractures acute chronic suspicious likely unlikely cm mm 1 2 3 4 5 6 7 8 9 10 ' +
  'pleural pneumothorax consolidation cardiomegaly nodule mass tube line lines catheter'
).split(' ');

export function collectVocabulary(): string[] {
  const words = new Set<string>(EXTRA_WORDS);
  for (const p of ['.', ',', ';', ':', '-', '(', ')', '?', '!', '/']) words.add(p);
  // Every finding type alone, with both sides and all zones, under many wordings.
  for (let s = 0; s < 3000; s++) {
    const type = FINDING_TYPES[s % FINDING_TYPES.length];
    const req: FindingRequest[] = s % 7 === 0 ? [] : [{ type }];
    const spec = samplePhantom(90_000 + s, req);
    for (const w of splitWords(writeReport(spec.findings, s).text)) words.add(w);
  }
  return [...words].sort();
}

export interface TokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

export function buildTokenizerFiles(words: readonly string[]): TokenizerFiles {
  const vocab: Record<string, number> = { [UNK]: 0 };
  words.forEach((w, i) => (vocab[w] = i + 1));
  const bosId = words.length + 1;
  const eosId = words.length + 2;
  vocab[BOS] = bosId;
  vocab[EOS] = eosId;
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, UNK), special(bosId, BOS), special(eosId, EOS)],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'WhitespaceSplit' },
        {
          type: 'Split',
          pattern: { Regex: '[\\p{P}\\x21-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7E]' },
          behavior: 'Isolated',
          invert: false,
        },
      ],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: BOS, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: EOS, type_id: 0 } }],
      pair: [
        { SpecialToken: { id: BOS, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: EOS, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: EOS, type_id: 1 } },
      ],
      special_tokens: {
        [BOS]: { id: BOS, ids: [bosId], tokens: [BOS] },
        [EOS]: { id: EOS, ids: [eosId], tokens: [EOS] },
      },
    },
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: UNK },
  };
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    model_max_length: CONTEXT_LENGTH,
    bos_token: BOS,
    eos_token: EOS,
    pad_token: EOS,
    unk_token: UNK,
    do_lower_case: true,
    clean_up_tokenization_spaces: false,
  };
  return { tokenizerJson, tokenizerConfig };
}

export class ReportTooLongError extends UserInputError {}

/** Encodes with the same tokenizer library the app uses, so training sees the app's ids. */
export function makeEncoder(files: TokenizerFiles): (text: string) => number[] {
  const tok = new Tokenizer(files.tokenizerJson, files.tokenizerConfig);
  return (text: string) => {
    const ids = tok.encode(text).ids;
    if (ids.length > CONTEXT_LENGTH) {
      throw new ReportTooLongError(`report has ${ids.length} tokens, more than the model's ${CONTEXT_LENGTH}: "${text}"`);
    }
    return ids;
  };
}
