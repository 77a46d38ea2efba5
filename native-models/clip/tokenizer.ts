/**
 * Offline tokenizer from a bundle's tokenizer.json, with character offsets.
 *
 * `@huggingface/tokenizers` gives ids and token strings but no offsets, so every token is
 * aligned back to the report text here. The alignment compares "surface forms" (the token
 * with its model-specific decorations removed: `</w>`, `##`, `Ġ`/`▁`, byte-level encoding)
 * against the text after the same folding (NFKD, accents stripped, lowercased), keeping a
 * map from folded positions back to positions in the original string. Tokens that cannot be
 * found (unknown-word markers) take the span between their matched neighbours.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { UserInputError } from '../errors';

export interface TextToken {
  id: number;
  /** Vocabulary entry as the tokenizer reports it. */
  token: string;
  special: boolean;
  /** Character offsets into the original text (end exclusive); null for special tokens. */
  start: number | null;
  end: number | null;
  text: string;
}

export interface Tokenized {
  ids: number[];
  tokens: TextToken[];
  truncated: boolean;
}

export class TokenizerError extends UserInputError {}

interface Folded {
  text: string;
  /** For each folded UTF-16 unit, the start index (original) of the char it came from. */
  origStart: number[];
  /** For each folded unit, the end index (original, exclusive) of the char it came from. */
  origEnd: number[];
}

function foldChar(ch: string): string {
  return ch.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

function fold(text: string): Folded {
  const out: string[] = [];
  const origStart: number[] = [];
  const origEnd: number[] = [];
  let i = 0;
  for (const ch of text) {
    const f = foldChar(ch);
    for (let k = 0; k < f.length; k++) {
      origStart.push(i);
      origEnd.push(i + ch.length);
    }
    out.push(f);
    i += ch.length;
  }
  return { text: out.join(''), origStart, origEnd };
}

let byteDecoder: Map<string, number> | null = null;
/** Inverse of GPT-2's bytes_to_unicode table used by byte-level BPE (CLIP, RoBERTa). */
function byteLevelDecoder(): Map<string, number> {
  if (byteDecoder) return byteDecoder;
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  byteDecoder = new Map(bs.map((b, k) => [String.fromCharCode(cs[k]), b]));
  return byteDecoder;
}

function decodeByteLevel(token: string): string {
  const dec = byteLevelDecoder();
  const bytes: number[] = [];
  for (const ch of token) {
    const b = dec.get(ch);
    if (b === undefined) return token;
    bytes.push(b);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(bytes)).replace(/\uFFFD/g, '');
}

export interface TokenizerJsonShape {
  model?: { type?: string; unk_token?: string; continuing_subword_prefix?: string; end_of_word_suffix?: string };
  pre_tokenizer?: unknown;
  decoder?: unknown;
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

function usesByteLevel(json: TokenizerJsonShape): boolean {
  return JSON.stringify(json.pre_tokenizer ?? null).includes('ByteLevel') || JSON.stringify(json.decoder ?? null).includes('ByteLevel');
}

export class ClipTokenizer {
  private readonly tk: Tokenizer;
  private readonly byteLevel: boolean;
  private readonly suffix: string | null;
  private readonly prefix: string | null;
  private readonly unk: string | null;
  private readonly specialIds: Set<number>;
  readonly maxLength: number;
  /**
   * Id of the token that stands for a word outside the vocabulary; null where the tokenizer has
   * none: byte-level BPE spells any text with known tokens (its unk_token is EOS, never produced).
   */
  readonly unknownId: number | null = null;

  constructor(json: TokenizerJsonShape, config: Record<string, unknown>, maxLength: number, label: string) {
    try {
      this.tk = new Tokenizer(json, config);
    } catch (e) {
      throw new TokenizerError(`${label}: cannot build the tokenizer: ${(e as Error).message}`);
    }
    this.byteLevel = usesByteLevel(json);
    this.suffix = json.model?.end_of_word_suffix ?? (JSON.stringify(json.decoder ?? null).includes('</w>') ? '</w>' : null);
    this.prefix = json.model?.continuing_subword_prefix ?? null;
    this.unk = json.model?.unk_token ?? (typeof config.unk_token === 'string' ? config.unk_token : null);
    this.specialIds = new Set((json.added_tokens ?? []).filter((t) => t.special).map((t) => t.id));
    // An unknown-word marker stands for report text, unless it doubles as BOS/EOS (CLIP's BPE uses <|endoftext|>).
    if (this.unk !== null && this.unk !== config.eos_token && this.unk !== config.bos_token) {
      const unkId = this.tk.token_to_id(this.unk);
      if (unkId !== undefined) {
        this.specialIds.delete(unkId);
        if (!this.byteLevel) this.unknownId = unkId;
      }
    }
    this.maxLength = maxLength;
  }

  tokenToId(token: string): number | undefined {
    return this.tk.token_to_id(token);
  }

  private surface(token: string): string {
    let s = token;
    if (this.suffix && s.endsWith(this.suffix)) s = s.slice(0, -this.suffix.length);
    if (this.prefix && s.startsWith(this.prefix)) s = s.slice(this.prefix.length);
    if (this.byteLevel) s = decodeByteLevel(s);
    s = s.replace(/^[\u2581\u0120]+/, '');
    return fold(s).text.trim();
  }

  encode(text: string): Tokenized {
    const enc = this.tk.encode(text);
    let ids = enc.ids.map(Number);
    let tokens = enc.tokens;
    let truncated = false;
    if (ids.length > this.maxLength) {
      // Keep the closing special token so EOS pooling still sees it.
      const lastId = ids[ids.length - 1];
      const lastTok = tokens[tokens.length - 1];
      const endIsSpecial = this.specialIds.has(lastId);
      ids = ids.slice(0, this.maxLength - (endIsSpecial ? 1 : 0));
      tokens = tokens.slice(0, ids.length);
      if (endIsSpecial) {
        ids.push(lastId);
        tokens.push(lastTok);
      }
      truncated = true;
    }
    const folded = fold(text);
    const out: TextToken[] = [];
    let cursor = 0;
    // Indices of tokens not yet placed (unknown markers), waiting for the next match.
    let pending: number[] = [];
    const placePending = (upTo: number): void => {
      if (pending.length === 0) return;
      let a = cursor;
      while (a < upTo && /\s/.test(folded.text[a])) a++;
      let b = upTo;
      while (b > a && /\s/.test(folded.text[b - 1])) b--;
      if (b > a) {
        // Split the gap among the pending tokens by whitespace-separated pieces, else all share it.
        const pieces: [number, number][] = [];
        const re = /\S+/g;
        const gap = folded.text.slice(a, b);
        let m: RegExpExecArray | null;
        while ((m = re.exec(gap))) pieces.push([a + m.index, a + m.index + m[0].length]);
        pending.forEach((ti, k) => {
          const piece = pieces.length === pending.length ? pieces[k] : [a, b];
          out[ti].start = folded.origStart[piece[0]];
          out[ti].end = folded.origEnd[piece[1] - 1];
          out[ti].text = text.slice(out[ti].start as number, out[ti].end as number);
        });
      }
      pending = [];
      cursor = Math.max(cursor, upTo);
    };
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      const special = this.specialIds.has(id);
      const tok: TextToken = { id, token: tokens[k], special, start: null, end: null, text: '' };
      out.push(tok);
      if (special) continue;
      const s = tokens[k] === this.unk ? '' : this.surface(tokens[k]);
      if (!s) {
        pending.push(k);
        continue;
      }
      let at = folded.text.indexOf(s, cursor);
      if (at < 0) {
        pending.push(k);
        continue;
      }
      // A match far ahead with unmatched pending tokens: the gap belongs to them.
      placePending(at);
      if (at > cursor && pending.length === 0) {
        // skipped characters (e.g. dropped by the normalizer) stay unattributed
      }
      const endF = at + s.length;
      tok.start = folded.origStart[at];
      tok.end = folded.origEnd[endF - 1];
      tok.text = text.slice(tok.start, tok.end);
      cursor = endF;
      at = -1;
    }
    placePending(truncated ? cursor : folded.text.length);
    return { ids, tokens: out, truncated };
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
    if (cur && !punct && !isPunct(cur.text) && t.start <= cur.end && /^\S*$/.test(text.slice(cur.end, t.start))) {
      cur.end = Math.max(cur.end, t.end);
      cur.text = text.slice(cur.start, cur.end);
      if (!cur.tokenIndices.includes(i)) cur.tokenIndices.push(i);
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
