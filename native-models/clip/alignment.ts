/**
 * Character offsets for tokens that `@huggingface/tokenizers` returns without them.
 *
 * Tokens are compared with the text by their "surface form" (the token with its model-specific
 * decorations removed: `</w>`, `##`, `Ġ`/`▁`, byte-level encoding) against the text after the same
 * folding (compatibility decomposition, accents stripped, lowercased), with a map from folded
 * positions back to the original string.
 *
 * - WordPiece (BERT): the text is split into words exactly as BertPreTokenizer does (whitespace,
 *   each punctuation character alone, each CJK character alone); each word is one `[UNK]` or a
 *   first piece followed by `##` pieces that spell it. Exact, so an unknown word can never swallow
 *   the text of the next one.
 * - everything else, and WordPiece where that walk does not fit: each token is searched from the
 *   end of the previous match; tokens that cannot be found (unknown-word markers) share the span
 *   between their matched neighbours.
 */
import type { TextToken } from './tokenizer';

export interface Folded {
  text: string;
  /** For each folded UTF-16 unit, the start index (original) of the char it came from. */
  origStart: number[];
  /** For each folded unit, the end index (original, exclusive) of the char it came from. */
  origEnd: number[];
}

function foldChar(ch: string): string {
  return ch.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

export function fold(text: string): Folded {
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

export function decodeByteLevel(token: string): string {
  const dec = byteLevelDecoder();
  const bytes: number[] = [];
  for (const ch of token) {
    const b = dec.get(ch);
    if (b === undefined) return token;
    bytes.push(b);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(bytes)).replace(/\uFFFD/g, '');
}

/** How the aligner reads a token: its folded surface ('' for an unknown-word marker) and whether it continues a word. */
export interface Surface {
  text: string;
  continues: boolean;
}

function setSpan(tok: TextToken, text: string, folded: Folded, a: number, b: number): void {
  tok.start = folded.origStart[a];
  tok.end = folded.origEnd[b - 1];
  tok.text = text.slice(tok.start, tok.end);
}

/** Search each token from the end of the previous match; unmatched tokens share the gap to the next match. */
export function alignBySearch(text: string, tokens: TextToken[], surfaces: (Surface | null)[], truncated: boolean): void {
  const folded = fold(text);
  let cursor = 0;
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
        setSpan(tokens[ti], text, folded, piece[0], piece[1]);
      });
    }
    pending = [];
    cursor = Math.max(cursor, upTo);
  };
  tokens.forEach((tok, k) => {
    const s = surfaces[k];
    if (s === null) return;
    const at = s.text ? folded.text.indexOf(s.text, cursor) : -1;
    if (at < 0) {
      pending.push(k);
      return;
    }
    placePending(at);
    setSpan(tok, text, folded, at, at + s.text.length);
    cursor = at + s.text.length;
  });
  placePending(truncated ? cursor : folded.text.length);
}

/** BertPreTokenizer's punctuation: ASCII symbols and punctuation, and Unicode category P. */
function isBertPunct(ch: string): boolean {
  const c = ch.codePointAt(0) as number;
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  return /\p{P}/u.test(ch);
}

/** BertNormalizer's handle_chinese_chars: CJK ideographs become words of their own. */
function isCjk(ch: string): boolean {
  const c = ch.codePointAt(0) as number;
  return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x20000 && c <= 0x2a6df) || (c >= 0x2a700 && c <= 0x2b81f) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0x2f800 && c <= 0x2fa1f);
}

/** Words as BertPreTokenizer sees them: [start, end) in folded units. */
function bertWords(folded: Folded): [number, number][] {
  const words: [number, number][] = [];
  let start = -1;
  const chars = [...folded.text];
  let at = 0;
  const close = (end: number): void => {
    if (start >= 0) words.push([start, end]);
    start = -1;
  };
  for (const ch of chars) {
    if (/\s/.test(ch) || /\p{Cc}/u.test(ch)) close(at);
    else if (isBertPunct(ch) || isCjk(ch)) {
      close(at);
      words.push([at, at + ch.length]);
    } else if (start < 0) start = at;
    at += ch.length;
  }
  close(at);
  return words;
}

/** The exact WordPiece walk; false (tokens untouched) where the tokens do not spell the words. */
export function alignWordPieces(text: string, tokens: TextToken[], surfaces: (Surface | null)[], truncated: boolean): boolean {
  const folded = fold(text);
  const words = bertWords(folded);
  const spans: ([number, number] | null)[] = tokens.map(() => null);
  let w = 0;
  let pos = -1; // position inside words[w]; -1: between words
  for (let k = 0; k < tokens.length; k++) {
    const s = surfaces[k];
    if (s === null) continue;
    if (!s.continues && pos >= 0) return false; // the previous word was not finished
    if (s.continues && pos < 0) return false;
    if (w >= words.length) return false;
    const [a, b] = words[w];
    if (!s.text) {
      if (pos >= 0) return false;
      spans[k] = [a, b];
      w++;
      continue;
    }
    const from = pos < 0 ? a : pos;
    if (!folded.text.startsWith(s.text, from) || from + s.text.length > b) return false;
    spans[k] = [from, from + s.text.length];
    pos = from + s.text.length;
    if (pos === b) {
      w++;
      pos = -1;
    }
  }
  // Truncation may cut the last word after any of its pieces.
  if (pos >= 0 && !truncated) return false;
  spans.forEach((sp, k) => {
    if (sp) setSpan(tokens[k], text, folded, sp[0], sp[1]);
  });
  return true;
}
