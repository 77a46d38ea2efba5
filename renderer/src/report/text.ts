/** Report text helpers: sentences to explain one at a time, and the text cut into shaded word segments. */
import type { WordScore } from '../../../electron/api/contract';

export interface Span {
  start: number;
  end: number;
  text: string;
}

/** Full-width sentence ends (Chinese, Japanese): no space follows them, so they end a sentence wherever they stand. */
const CJK_ENDS = new Set(['。', '！', '？', '；', '．', '｡']);

/**
 * Sentences end at . ! ? followed by white space or the end, at CJK sentence punctuation (。！？；),
 * or at a line break; closing quotes and brackets right after the end stay with the sentence;
 * blank pieces are dropped.
 */
export function splitSentences(text: string): Span[] {
  const out: Span[] = [];
  let start = 0;
  const push = (end: number) => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const trimmed = raw.trim();
    if (trimmed) out.push({ start: start + lead, end: start + lead + trimmed.length, text: trimmed });
    start = end;
  };
  const closers = /[」』）〉》】"'”’)\]]/;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') push(i + 1);
    else if (CJK_ENDS.has(c)) {
      let end = i + 1;
      while (end < text.length && (closers.test(text[end]!) || CJK_ENDS.has(text[end]!))) end++;
      push(end);
      i = end - 1;
    } else if ((c === '.' || c === '!' || c === '?') && (i + 1 === text.length || /\s/.test(text[i + 1]!))) push(i + 1);
  }
  push(text.length);
  return out;
}

export interface Segment {
  text: string;
  word: WordScore | null;
}

/**
 * Cuts `text` into plain and scored segments. Word spans that fall outside the text, overlap an
 * earlier word, or do not match the text they claim are left unshaded and counted, never drawn
 * over the wrong letters.
 */
export function segmentText(text: string, words: WordScore[]): { segments: Segment[]; skipped: number } {
  const sorted = [...words].sort((a, b) => a.start - b.start);
  const segments: Segment[] = [];
  let pos = 0;
  let skipped = 0;
  for (const w of sorted) {
    const valid =
      Number.isInteger(w.start) && Number.isInteger(w.end) && w.start >= pos && w.end > w.start && w.end <= text.length &&
      (w.text === '' || text.slice(w.start, w.end).toLowerCase() === w.text.toLowerCase());
    if (!valid) {
      skipped++;
      continue;
    }
    if (w.start > pos) segments.push({ text: text.slice(pos, w.start), word: null });
    segments.push({ text: text.slice(w.start, w.end), word: w });
    pos = w.end;
  }
  if (pos < text.length) segments.push({ text: text.slice(pos), word: null });
  return { segments, skipped };
}

/** Where a cosine similarity sits on its −1…1 scale, as a fraction 0…1 for a bar. */
export function similarityFraction(s: number): number {
  return Number.isFinite(s) ? Math.min(1, Math.max(0, (s + 1) / 2)) : 0;
}
