/**
 * The report's words as the explanation shows them, and how many of them the model can read:
 * a word outside a word-level vocabulary reaches the model as the one unknown token, so the
 * similarity and its scores say nothing about which word it was (a French report and a Spanish
 * one score the same).
 */
import { groupWords, type TextToken, type Word } from '../clip/tokenizer';

/** Words are the report's words: punctuation-only tokens keep their token scores but are no word. */
export function reportWords(text: string, tokens: TextToken[]): Word[] {
  return groupWords(text, tokens).map((g) => withMarks(text, g)).filter((g) => !/^[\p{P}\p{S}]+$/u.test(g.text));
}

/**
 * A word's span runs on over the combining marks after it: the tokenizers fold a decomposed
 * accent ("cafe" + U+0301) away, but on screen it is part of the word, not a gap after it.
 */
function withMarks(text: string, w: Word): Word {
  let end = w.end;
  // Stryker disable next-line EqualityOperator,ConditionalExpression: text[text.length] is undefined, no mark: the bound and the test stop at the same place
  while (end < text.length && /\p{M}/u.test(text[end])) end++;
  return { ...w, end, text: text.slice(w.start, end) };
}

export interface VocabularyCoverage {
  words: number;
  /** Words none of whose tokens is the unknown token. */
  known: number;
  /** The other words, in text order. */
  unknown: string[];
}

/** null where the tokenizer has no unknown token (byte-level BPE covers any text by construction). */
export function vocabularyCoverage(words: Word[], tokens: TextToken[], unknownId: number | null): VocabularyCoverage | null {
  if (unknownId === null) return null;
  const unknown = words.filter((w) => w.tokenIndices.some((i) => tokens[i].id === unknownId)).map((w) => w.text);
  return { words: words.length, known: words.length - unknown.length, unknown };
}

/** Below this share of known words an explanation says so. */
export const LOW_COVERAGE = 0.8;

export function coverageWarning(c: VocabularyCoverage | null): string | null {
  if (!c || c.words === 0 || c.known / c.words >= LOW_COVERAGE) return null;
  const shown = c.unknown.slice(0, 5).map((w) => `“${w}”`).join(', ') + (c.unknown.length > 5 ? ', …' : '');
  return `only ${c.known} of ${c.words} words are in the model's vocabulary (not: ${shown}); the model reads each of the others as one unknown token, so the similarity and the scores say little about them`;
}
