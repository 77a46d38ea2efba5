/**
 * A report cut into sentences, and which sentences deny a finding: a small rule-based detector in
 * the manner of NegEx (Chapman et al. 2001) with radiology's phrasings. Pure (no onnxruntime), so
 * the renderer shares it through the contract.
 *
 * The map of a negated sentence ("No pneumothorax.") shows where the model looked for the finding,
 * not that it is there: the UI and the reports say so.
 */

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

/**
 * Phrases that look like negations but are not (checked first; their words trigger nothing).
 * Stability and novelty assert that the finding is there: "no change in the nodule", "no interval
 * change", "not significantly changed", "not previously seen" (a new finding). Uncertainty is not
 * denial: "cannot be excluded", "not ruled out", "no definite change".
 */
const PSEUDO = [
  'no change', 'no significant change', 'no interval change', 'no appreciable change', 'no definite change', 'no substantial change',
  'no increase', 'no significant increase', 'no decrease', 'no significant decrease', 'no further', 'no longer than',
  'not changed', 'not significantly changed', 'not substantially changed', 'not appreciably changed', 'without change', 'without interval change', 'without significant change',
  'not previously seen', 'not seen previously', 'not previously identified', 'not previously visualized', 'not only',
  'cannot be excluded', 'can not be excluded', 'cannot be ruled out', 'not be excluded', 'not excluded', 'not ruled out', 'not be ruled out',
];

/** Triggers that deny what follows them (up to a termination word). */
const PRE = [
  'no', 'not', 'without', 'negative for', 'free of', 'no evidence of', 'no signs of', 'no sign of', 'no radiographic evidence of', 'absence of',
  'absent', 'no longer', 'never', 'neither', 'nor', 'rules out', 'ruled out', 'resolution of', 'resolved',
];

/** Triggers that deny what precedes them. */
const POST = [
  'is not seen', 'are not seen', 'not seen', 'not identified', 'not visualized', 'not visualised', 'not demonstrated', 'not present', 'not evident', 'not appreciated',
  'is absent', 'are absent', 'absent', 'has resolved', 'have resolved', 'resolved', 'no longer seen', 'no longer present', 'no longer visible', 'has cleared', 'have cleared',
  'is excluded', 'are excluded', 'ruled out', 'is ruled out', 'are ruled out',
];

/** Words that end a trigger's scope: a sentence may deny one finding and state another. */
const TERMINATE = new Set(['but', 'however', 'although', 'though', 'except', 'apart', 'aside', 'which', 'whereas', 'while', 'yet', 'still']);

const AUXILIARY = new Set(['is', 'are', 'was', 'were', 'be', 'been', 'has', 'have', 'had']);

/** The scope reaches this many words (commas not counted) from its trigger, as NegEx's window. */
const WINDOW = 6;

interface Word {
  w: string;
  start: number;
  end: number;
}

function wordsOf(text: string): Word[] {
  const out: Word[] = [];
  for (const m of text.matchAll(/[A-Za-z]+(?:['’-][A-Za-z]+)*|[;,:]/g)) out.push({ w: m[0].toLowerCase().replace('’', "'"), start: m.index, end: m.index + m[0].length });
  return out;
}

/** Every place a phrase occurs, as [first word, word after]. */
function occurrences(words: Word[], phrases: string[]): [number, number, string][] {
  const out: [number, number, string][] = [];
  for (const p of phrases) {
    const parts = p.split(' ');
    for (let i = 0; i + parts.length <= words.length; i++) if (parts.every((x, k) => words[i + k].w === x)) out.push([i, i + parts.length, p]);
  }
  return out;
}

export interface Negation {
  negated: boolean;
  /** The trigger as written in the sentence ("no", "is not seen"), or null. */
  cue: string | null;
  /** Character span (in the sentence) of the words the trigger denies, or null. */
  scope: { start: number; end: number } | null;
}

const isStop = (w: Word): boolean => TERMINATE.has(w.w) || w.w === ';' || w.w === ':';

/**
 * Whether a sentence denies a finding: a trigger with at least one word in its scope. A sentence
 * with several triggers reports the first. What a sentence only doubts ("cannot be excluded") or
 * says is unchanged ("no change in the nodule") is not negated: the finding is there.
 */
export function negation(sentence: string): Negation {
  const words = wordsOf(sentence);
  const blocked = new Set<number>();
  for (const [a, b] of occurrences(words, PSEUDO)) for (let i = a; i < b; i++) blocked.add(i);
  const free = ([a, b]: [number, number, string]): boolean => Array.from({ length: b - a }, (_, k) => a + k).every((i) => !blocked.has(i));
  // The longest trigger at a place wins ("no evidence of" over "no"); post triggers before pre at the same words.
  const found: { a: number; b: number; post: boolean }[] = [];
  const claimed = new Set<number>();
  const all = [...occurrences(words, POST).map((o) => ({ o, post: true })), ...occurrences(words, PRE).map((o) => ({ o, post: false }))]
    .filter(({ o }) => free(o))
    .sort((x, y) => y.o[1] - y.o[0] - (x.o[1] - x.o[0]) || x.o[0] - y.o[0]);
  for (const { o, post } of all) {
    if (Array.from({ length: o[1] - o[0] }, (_, k) => o[0] + k).some((i) => claimed.has(i))) continue;
    for (let i = o[0]; i < o[1]; i++) claimed.add(i);
    found.push({ a: o[0], b: o[1], post });
  }
  found.sort((x, y) => x.a - y.a);
  const preScope = (t: { a: number; b: number }): [number, number] | null => {
    let last = -1, n = 0;
    for (let i = t.b; i < words.length && n < WINDOW && !isStop(words[i]) && !claimed.has(i); i++) {
      if (words[i].w === ',') continue;
      last = i;
      n++;
    }
    return last === -1 ? null : [t.b, last];
  };
  const postScope = (t: { a: number; b: number }): [number, number] | null => {
    let first = -1;
    // The verb before the trigger ("is", "has been") is not part of what it denies.
    let end = t.a - 1;
    while (end >= 0 && AUXILIARY.has(words[end].w)) end--;
    for (let i = end; i >= 0 && end - i < WINDOW && !isStop(words[i]) && !claimed.has(i) && words[i].w !== ','; i--) first = i;
    return first === -1 ? null : [first, end];
  };
  for (const t of found) {
    const cue = words.slice(t.a, t.b).map((w) => w.w).join(' ');
    // A trigger that reads both ways ("absent", "resolved") denies what precedes it, else what follows.
    const scope = t.post ? (postScope(t) ?? (PRE.includes(cue) ? preScope(t) : null)) : preScope(t);
    if (!scope) continue;
    return { negated: true, cue: sentence.slice(words[t.a].start, words[t.b - 1].end), scope: { start: words[scope[0]].start, end: words[scope[1]].end } };
  }
  return { negated: false, cue: null, scope: null };
}

/** Said with the explanation of a sentence that denies a finding, in the app and in every report. */
export function negatedWarning(cue: string | null): string {
  return `the text denies a finding (“${cue ?? 'no'}”): the map shows where the model looked for it, not that it is there`;
}

export interface ReportSentence extends Span, Negation {}

/** The report's sentences, each with its negation. */
export function reportSentences(text: string): ReportSentence[] {
  return splitSentences(text).map((s) => ({ ...s, ...negation(s.text) }));
}
