/** Report text helpers: sentences to explain one at a time, and the text cut into shaded word segments. */
import type { WordScore } from '../../../electron/api/contract';

/** The report's sentences: the splitter the CLI's --all-sentences uses too (native-models/explain/sentences.ts). */
export { splitSentences, type Span } from '../../../electron/api/contract';

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
