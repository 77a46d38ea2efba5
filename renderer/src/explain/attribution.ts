/**
 * What of an explanation may be drawn. An attribution that is the same everywhere (all zero, or
 * constant) says nothing about where the model looked: min-max scaling would stretch it to all 0
 * or all 1 and paint every word or pixel alike, so it is shown unshaded, with the reason.
 */
import type { Explanation, WordScore } from '../../../electron/api/contract';
import { isEmptyMap } from './runJob';

type AttributionMap = NonNullable<Explanation['image']>['map'];

/** True when every value equals the first, up to float rounding of sums. */
export function isConstant(values: ArrayLike<number>): boolean {
  if (values.length === 0) return true;
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return max - min <= 1e-12 * Math.max(1, Math.abs(max), Math.abs(min));
}

const CONSTANT_TEXT = /text attribution (is all zero|is the same|is constant)/i;
const CONSTANT_IMAGE = /image attribution (is all zero|is the same|is constant)/i;

/**
 * The map to draw over the scan, or null. `reason` is the screen's own note when it draws none
 * and the explainer's warnings do not already say why.
 */
export function drawableMap(e: Explanation): { map: AttributionMap | null; reason: string | null } {
  if (!e.image) return { map: null, reason: null };
  const { map } = e.image;
  if (!isEmptyMap(map) && !isConstant(map.values) && !e.warnings.some((w) => CONSTANT_IMAGE.test(w))) return { map, reason: null };
  const said = e.warnings.some((w) => CONSTANT_IMAGE.test(w) || /image attribution/i.test(w));
  return { map: null, reason: said ? null : 'the image attribution is the same everywhere: no map is drawn' };
}

/** Whether the words may be shaded by their scores; `reason` as for drawableMap. */
export function wordShading(e: Explanation): { shaded: boolean; reason: string | null } {
  const words: WordScore[] = e.text?.words ?? [];
  const said = e.warnings.some((w) => CONSTANT_TEXT.test(w));
  if (words.length > 0 && !said && !isConstant(words.map((w) => w.raw))) return { shaded: true, reason: null };
  if (words.length === 0 || said) return { shaded: false, reason: null };
  if (words.length === 1) return { shaded: false, reason: 'one word only: its score has nothing to be compared with, so it is not shaded' };
  const raw = words[0]!.raw;
  return { shaded: false, reason: `the text attribution is the same for every word (raw ${raw === 0 ? '0' : raw.toPrecision(3)}): no word is shaded` };
}

/** The explainer's warnings, then the screen's own reasons for what it does not draw. */
export function warningsOf(e: Explanation): string[] {
  return [...e.warnings, ...[drawableMap(e).reason, wordShading(e).reason].filter((r): r is string => r !== null)];
}
