/**
 * Offline tokenizer from a bundle's tokenizer.json, with character offsets (alignment.ts), the
 * truncation and fixed-length padding the file asks for (`@huggingface/tokenizers` ignores both),
 * and the attention mask that goes with the padding.
 *
 * Byte-level BPE (CLIP), WordPiece (BERT: lower-casing and accent stripping by BertNormalizer,
 * `##` continuations, one `[UNK]` for a word it cannot split) and word-level vocabularies.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { UserInputError } from '../errors';
import { alignBySearch, alignWordPieces, decodeByteLevel, fold, type Surface } from './alignment';

export interface TextToken {
  id: number;
  /** Vocabulary entry as the tokenizer reports it. */
  token: string;
  special: boolean;
  /** A position added by fixed-length padding (also special: it is never a word). */
  pad?: boolean;
  /** Character offsets into the original text (end exclusive); null for special tokens. */
  start: number | null;
  end: number | null;
  text: string;
}

export interface Tokenized {
  ids: number[];
  tokens: TextToken[];
  truncated: boolean;
  /** 1 for the text's tokens (specials included), 0 for padding. */
  attentionMask: number[];
}

export class TokenizerError extends UserInputError {}

export type TokenizerKind = 'wordpiece' | 'bpe' | 'wordlevel' | 'unigram' | 'other';

export interface Padding {
  /** Every sequence is padded (and truncated) to exactly this many tokens. */
  length: number;
  id: number;
  token: string;
  side: 'right' | 'left';
}

export interface TokenizerJsonShape {
  model?: { type?: string; unk_token?: string; continuing_subword_prefix?: string; end_of_word_suffix?: string };
  pre_tokenizer?: unknown;
  decoder?: unknown;
  added_tokens?: { id: number; content: string; special?: boolean }[];
  padding?: { strategy?: unknown; pad_id?: number; pad_token?: string; direction?: string } | null;
  truncation?: { max_length?: number; direction?: string } | null;
}

function usesByteLevel(json: TokenizerJsonShape): boolean {
  return JSON.stringify(json.pre_tokenizer ?? null).includes('ByteLevel') || JSON.stringify(json.decoder ?? null).includes('ByteLevel');
}

// `json.model?.`: a tokenizer.json without a model never gets this far (the Tokenizer refuses it).
function kindOf(json: TokenizerJsonShape): TokenizerKind {
  // Stryker disable next-line OptionalChaining: see above
  const t = json.model?.type;
  if (t === 'WordPiece') return 'wordpiece';
  if (t === 'BPE') return 'bpe';
  if (t === 'WordLevel') return 'wordlevel';
  if (t === 'Unigram') return 'unigram';
  return 'other';
}

/** `"padding": {"strategy": {"Fixed": N}, …}` in tokenizer.json (BatchLongest pads nothing for one text). */
function fixedPadding(json: TokenizerJsonShape, label: string): Padding | null {
  const p = json.padding;
  if (!p || typeof p !== 'object') return null;
  const strategy = p.strategy as { Fixed?: unknown } | string | undefined;
  const length = strategy && typeof strategy === 'object' ? strategy.Fixed : undefined;
  if (length === undefined) return null;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 2) throw new TokenizerError(`${label}: padding.strategy.Fixed must be an integer ≥ 2 (got ${JSON.stringify(length)})`);
  if (typeof p.pad_id !== 'number') throw new TokenizerError(`${label}: fixed-length padding without a pad_id`);
  const side = p.direction === 'Left' ? 'left' : 'right';
  return { length, id: p.pad_id, token: typeof p.pad_token === 'string' ? p.pad_token : String(p.pad_id), side };
}

export class ClipTokenizer {
  private readonly tk: Tokenizer;
  private readonly byteLevel: boolean;
  private readonly suffix: string | null;
  private readonly prefix: string | null;
  private readonly unk: string | null;
  private readonly specialIds: Set<number>;
  readonly kind: TokenizerKind;
  /** Longest sequence the model takes (padding included): the context length, or less where the tokenizer truncates earlier. */
  readonly maxLength: number;
  readonly padding: Padding | null;
  /** Whether a text's own closing token is the pad token (SigLIP and CLIP pad with their end token). */
  private readonly closesWithPad: boolean;
  /**
   * Id of the token that stands for a word outside the vocabulary; null where the tokenizer has
   * none: byte-level BPE spells any text with known tokens (its unk_token is EOS, never produced).
   */
  readonly unknownId: number | null = null;
  /** The unknown-word marker ([UNK], <|unk|>) where unknownId is set. */
  readonly unknownToken: string | null = null;

  constructor(json: TokenizerJsonShape, config: Record<string, unknown>, maxLength: number, label: string) {
    try {
      this.tk = new Tokenizer(json, config);
    } catch (e) {
      throw new TokenizerError(`${label}: cannot build the tokenizer: ${(e as Error).message}`);
    }
    this.kind = kindOf(json);
    this.byteLevel = usesByteLevel(json);
    // Stryker disable next-line OptionalChaining: see kindOf
    this.suffix = json.model?.end_of_word_suffix ?? (JSON.stringify(json.decoder ?? null).includes('</w>') ? '</w>' : null);
    // Stryker disable next-line OptionalChaining: see kindOf
    this.prefix = json.model?.continuing_subword_prefix ?? (this.kind === 'wordpiece' ? '##' : null);
    // Stryker disable next-line OptionalChaining: see kindOf
    this.unk = json.model?.unk_token ?? (typeof config.unk_token === 'string' ? config.unk_token : null);
    this.specialIds = new Set((json.added_tokens ?? []).filter((t) => t.special).map((t) => t.id));
    // An unknown-word marker stands for report text, unless it doubles as BOS/EOS (CLIP's BPE uses <|endoftext|>).
    if (this.unk !== null && this.unk !== config.eos_token && this.unk !== config.bos_token) {
      const unkId = this.tk.token_to_id(this.unk);
      if (unkId !== undefined) {
        this.specialIds.delete(unkId);
        if (!this.byteLevel) {
          this.unknownId = unkId;
          this.unknownToken = this.unk;
        }
      }
    }
    const truncateAt = json.truncation?.max_length;
    this.padding = fixedPadding(json, label);
    let max = maxLength;
    if (typeof truncateAt === 'number' && truncateAt > 0) max = Math.min(max, truncateAt);
    if (this.padding) {
      if (this.padding.length > maxLength) throw new TokenizerError(`${label}: pads every text to ${this.padding.length} tokens, but the text model takes at most ${maxLength}`);
      max = Math.min(max, this.padding.length);
    }
    this.maxLength = max;
    const sample = this.tk.encode('a').ids.map(Number);
    this.closesWithPad = this.padding !== null && sample[sample.length - 1] === this.padding.id;
  }

  tokenToId(token: string): number | undefined {
    return this.tk.token_to_id(token);
  }

  private surface(token: string): Surface {
    if (token === this.unk) return { text: '', continues: false };
    let s = token;
    let continues = false;
    if (this.suffix && s.endsWith(this.suffix)) s = s.slice(0, -this.suffix.length);
    if (this.prefix && s.startsWith(this.prefix) && s.length > this.prefix.length) {
      s = s.slice(this.prefix.length);
      continues = true;
    }
    if (this.byteLevel) s = decodeByteLevel(s);
    s = s.replace(/^[\u2581\u0120]+/, '');
    return { text: fold(s).text.trim(), continues };
  }

  /** The sequence padded to the fixed length, if the tokenizer pads (a text's ids, already truncated). */
  pad(ids: number[]): number[] {
    const p = this.padding;
    if (!p || ids.length >= p.length) return ids;
    const pads = new Array<number>(p.length - ids.length).fill(p.id);
    return p.side === 'right' ? [...ids, ...pads] : [...pads, ...ids];
  }

  encode(text: string): Tokenized {
    const enc = this.tk.encode(text);
    let ids = enc.ids.map(Number);
    let pieces = enc.tokens;
    let truncated = false;
    if (ids.length > this.maxLength) {
      // Keep the closing special token so EOS pooling still sees it.
      const lastId = ids[ids.length - 1];
      const lastTok = pieces[pieces.length - 1];
      const endIsSpecial = this.specialIds.has(lastId);
      ids = ids.slice(0, this.maxLength - (endIsSpecial ? 1 : 0));
      pieces = pieces.slice(0, ids.length);
      if (endIsSpecial) {
        ids.push(lastId);
        pieces.push(lastTok);
      }
      truncated = true;
    }
    const tokens: TextToken[] = ids.map((id, k) => ({ id, token: pieces[k], special: this.specialIds.has(id), start: null, end: null, text: '' }));
    const surfaces = tokens.map((t) => (t.special ? null : this.surface(t.token)));
    if (this.kind !== 'wordpiece' || !alignWordPieces(text, tokens, surfaces, truncated)) alignBySearch(text, tokens, surfaces, truncated);
    const padded = this.pad(ids);
    const attentionMask = ids.map(() => 1);
    if (padded.length > ids.length && this.padding) {
      const p = this.padding;
      const pads: TextToken[] = Array.from({ length: padded.length - ids.length }, () => ({ id: p.id, token: p.token, special: true, pad: true, start: null, end: null, text: '' }));
      const zeros = pads.map(() => 0);
      return p.side === 'right'
        ? { ids: padded, tokens: [...tokens, ...pads], truncated, attentionMask: [...attentionMask, ...zeros] }
        : { ids: padded, tokens: [...pads, ...tokens], truncated, attentionMask: [...zeros, ...attentionMask] };
    }
    return { ids, tokens, truncated, attentionMask };
  }

  /**
   * The attention mask of ids this tokenizer produced (padding included): 0 on the padding. Pads
   * are the run of pad ids at the padded end, less the text's closing token where that is the pad
   * token itself.
   */
  attentionMask(ids: readonly number[]): number[] {
    const mask = ids.map(() => 1);
    const p = this.padding;
    if (!p || ids.length !== p.length) return mask;
    const order = p.side === 'right' ? [...ids.keys()].reverse() : [...ids.keys()];
    const run: number[] = [];
    for (const i of order) {
      if (ids[i] !== p.id) break;
      run.push(i);
    }
    for (const i of this.closesWithPad && p.side === 'right' ? run.slice(0, -1) : run) mask[i] = 0;
    return mask;
  }
}

export interface Word {
  text: string;
  start: number;
  end: number;
  /** Indices into the token list. */
  tokenIndices: number[];
}

/**
 * Groups tokens into words: maximal runs of tokens whose spans touch with no whitespace between
 * them, split at punctuation-only tokens (which become their own "words" and are kept so that a
 * caller can decide to hide them).
 */
export function groupWords(text: string, tokens: TextToken[]): Word[] {
  const words: Word[] = [];
  let cur: Word | null = null;
  const isPunct = (s: string): boolean => /^[\p{P}\p{S}]+$/u.test(s);
  tokens.forEach((t, i) => {
    if (t.special || t.start === null || t.end === null) return;
    const punct = isPunct(t.text);
    // Spans that touch or overlap have nothing, so no whitespace, between them.
    if (cur && !punct && !isPunct(cur.text) && t.start <= cur.end) {
      cur.end = Math.max(cur.end, t.end);
      cur.text = text.slice(cur.start, cur.end);
      cur.tokenIndices.push(i);
      return;
    }
    if (cur && t.start === cur.start && t.end === cur.end) {
      cur.tokenIndices.push(i);
      return;
    }
    cur = { text: t.text, start: t.start, end: t.end, tokenIndices: [i] };
    words.push(cur);
  });
  return words;
}
