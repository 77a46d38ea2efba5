/**
 * What a recorded explanation's numbers mean, in words an auditor reads: each faithfulness metric
 * (what was measured, its scale, which direction is better), each parameter (by the method
 * registry's own descriptions), and times (UTC, said so). One table for the review panel, the
 * audit view and the PDF, so the three say the same thing. Pure: importable by the renderer
 * (through the contract).
 */
import { METHOD_SPECS, type MethodSpec, type ParamGroup } from '../../native-models/explain/methods';
import type { Explanation, LocalisationMetrics, Region } from '../../native-models/explain/types';

export interface MetricInfo {
  /** What was measured. */
  label: string;
  /** The unit or scale of the value and which direction means the explanation explains more. */
  scale: string;
  /** How it was computed, one line (native-models/explain/metrics.ts, after the NIB paper's eval.py). */
  how: string;
  digits: number;
}

const IMAGE_KEPT = 'the scan is multiplied by the map (0–1 per pixel) and scored again against the report';
const WORDS_WEIGHTED = 'each word’s embedding is multiplied by its score (0–1) and the text scored again against the scan';
const DROP_SCALE = 'cosine similarity × 100, ≥ 0; lower =';
const RISE_SCALE = '100 = the similarity rose, 0 = it did not; higher =';
const MAP = 'the map explains more';
const WORDS = 'the word scores explain more';

export const METRIC_INFO: Readonly<Record<string, MetricInfo>> = {
  vdrop: { label: 'Confidence drop when only the highlighted region is kept', scale: `${DROP_SCALE} ${MAP}`, how: `${IMAGE_KEPT}; the fall in similarity, none if it rose`, digits: 1 },
  vincr: { label: 'Confidence increase when only the highlighted region is kept', scale: `${RISE_SCALE} ${MAP}`, how: IMAGE_KEPT, digits: 0 },
  deletionAuc: {
    label: 'Similarity while the most highlighted pixels are removed (deletion AUC)',
    scale: `mean cosine similarity, −1 to 1; lower = ${MAP}`,
    how: 'pixels are blanked in the order of the map, most highlighted first, and the similarity averaged over the steps',
    digits: 3,
  },
  insertionAuc: {
    label: 'Similarity while the most highlighted pixels are revealed (insertion AUC)',
    scale: `mean cosine similarity, −1 to 1; higher = ${MAP}`,
    how: 'from a blank image, pixels are revealed in the order of the map, most highlighted first, and the similarity averaged over the steps',
    digits: 3,
  },
  tdrop: { label: 'Confidence drop when only the highlighted words are kept', scale: `${DROP_SCALE} ${WORDS}`, how: `${WORDS_WEIGHTED}; the fall in similarity, none if it rose`, digits: 1 },
  tincr: { label: 'Confidence increase when only the highlighted words are kept', scale: `${RISE_SCALE} ${WORDS}`, how: WORDS_WEIGHTED, digits: 0 },
};

export const SIMILARITY_INFO = {
  label: 'Image–report similarity',
  scale: 'cosine similarity of the scan’s and the report’s embeddings, −1 to 1; higher = they agree more',
} as const;

/** A number as an auditor reads it: fixed digits where the scale says so, else up to 6 significant digits. */
export function formatValue(n: number, digits?: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? '—' : n > 0 ? '∞' : '−∞';
  if (digits !== undefined) return n.toFixed(digits);
  if (n !== 0 && (Math.abs(n) < 1e-3 || Math.abs(n) >= 1e6)) return n.toExponential(3);
  return String(Number(n.toPrecision(6)));
}

export interface ReadableLine {
  /** The key as recorded (`m2ib.beta`), for matching with the raw record. */
  key: string;
  label: string;
  value: string;
  /** Its scale and direction (metrics), or why it does not apply (parameters). */
  note: string | null;
  how?: string;
}

/** The explanation's metrics in the table's order, then any the table does not know (by their key). */
export function readableMetrics(metrics: Readonly<Record<string, number>>): ReadableLine[] {
  const known = Object.keys(METRIC_INFO).filter((k) => k in metrics);
  const other = Object.keys(metrics).filter((k) => !(k in METRIC_INFO)).sort();
  return [
    ...known.map((key) => {
      const m = METRIC_INFO[key]!;
      return { key, label: m.label, value: formatValue(metrics[key]!, m.digits), note: m.scale, how: m.how };
    }),
    ...other.map((key) => ({ key, label: key, value: formatValue(metrics[key]!), note: null })),
  ];
}

const TARGET_WORDS: Record<string, string> = { both: 'the image and the text', image: 'the image only', text: 'the text only' };

function capitalized(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function valueText(v: number | string | boolean): string {
  return typeof v === 'number' ? formatValue(v) : typeof v === 'boolean' ? (v ? 'yes' : 'no') : v;
}

/** The method's own setting recorded as `<group>.<name>`: its description from METHOD_SPECS. */
function methodSetting(spec: MethodSpec | undefined, key: string): string | null {
  if (!spec) return null;
  const dot = key.indexOf('.');
  const [record, name] = [key.slice(0, dot), key.slice(dot + 1)];
  const sides = (['image', 'text'] as const).filter((s) => spec.params[s]?.record === record);
  const group: ParamGroup | null | undefined = sides.length ? spec.params[sides[0]!] : null;
  const p = group?.params[name];
  if (!p) return null;
  // A setting shared by both sides (M2IB) needs no side; RISE's two groups do.
  const bothSides = spec.params.image?.record === spec.params.text?.record;
  return bothSides ? capitalized(p.summary) : `${capitalized(sides[0]!)}: ${p.summary}`;
}

/** The explanation's parameters as label and value, in the order an auditor checks them. */
export function readableParams(e: Pick<Explanation, 'method' | 'params'>): ReadableLine[] {
  const spec = (METHOD_SPECS as Record<string, MethodSpec | undefined>)[e.method];
  const p = e.params;
  const unused = (used: boolean | undefined) => (spec && used === false ? `not used by ${spec.label}` : null);
  const out: ReadableLine[] = [];
  const add = (key: string, label: string, value: string, note: string | null = null) => out.push({ key, label, value, note });
  if ('target' in p) add('target', 'Explained', TARGET_WORDS[String(p.target)] ?? String(p.target));
  if ('layer' in p) add('layer', 'textLayer' in p ? 'Layer L explained (image side)' : 'Layer L explained', valueText(p.layer), unused(spec?.usesLayer));
  if ('textLayer' in p) add('textLayer', 'Layer L explained (text side)', valueText(p.textLayer!), unused(spec?.usesLayer));
  if ('steps' in p) add('steps', 'Integration steps', valueText(p.steps), unused(spec?.usesSteps));
  if ('letterbox' in p) {
    add('letterbox', 'Fit to the model’s square input', p.letterbox ? 'letterbox (whole scan, padded)' : 'centre crop (a wide or tall scan loses its edges)');
  }
  // Only a method that offers a choice says it; absent means fp32 (every record before the setting).
  if (spec && spec.precisions.length > 1) {
    const bits = typeof p['int8.weightBits'] === 'number' ? `, ${p['int8.weightBits']}-bit weights` : '';
    add('precision', 'Arithmetic precision', p.precision === 'int8' ? `int8 weight products${bits} (reduced precision: close to fp32, not equal)` : 'fp32 (full precision)');
  }
  if (typeof p.windowCenter === 'number' && typeof p.windowWidth === 'number') {
    add('window', 'Window the model was shown', `centre ${formatValue(p.windowCenter)}, width ${formatValue(p.windowWidth)} (stored pixel units, e.g. HU)`);
  }
  const done = new Set(['target', 'layer', 'textLayer', 'steps', 'letterbox', 'precision', 'int8.weightBits', 'windowCenter', 'windowWidth']);
  const rest = Object.keys(p).filter((k) => !done.has(k));
  const described = rest.filter((k) => methodSetting(spec, k) !== null);
  for (const key of described) add(key, methodSetting(spec, key)!, valueText(p[key]!));
  for (const key of rest.filter((k) => !described.includes(k)).sort()) add(key, key, valueText(p[key]!));
  return out;
}

/** An ISO time as shown everywhere (table, detail, PDF): UTC, to the second, and said so. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The reader's region in words: where it is on the scan, in scan pixels. */
export function describeRegion(r: Region): string {
  const px = (n: number) => formatValue(Math.round(n * 10) / 10);
  if (r.kind === 'box') return `box at (${px(r.x)}, ${px(r.y)}), ${px(r.width)} × ${px(r.height)} px`;
  const xs = r.points.map((p) => p[0]), ys = r.points.map((p) => p[1]);
  const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
  return `outline of ${r.points.length} points within (${px(x0)}, ${px(y0)}), ${px(Math.max(...xs) - x0)} × ${px(Math.max(...ys) - y0)} px`;
}

const HIT = (v: number) => (v === 1 ? 'hit' : 'miss');

/**
 * How the map agrees with the reader's region (native-models/explain/localisation.ts), one line
 * each with its meaning and direction; the same lines in the review panel, the audit view and the PDF.
 */
export function readableLocalisation(m: LocalisationMetrics): ReadableLine[] {
  const share = (v: number) => formatValue(v, 3);
  return [
    { key: 'pointingGame', label: 'Map maximum inside the region (pointing game)', value: HIT(m.pointingGame), note: 'hit = the most highlighted pixel lies in the region' },
    { key: 'pointingGameTolerant', label: 'Map maximum within half a patch of the region', value: HIT(m.pointingGameTolerant), note: `tolerance ${formatValue(m.tolerancePx, 1)} scan px, the map’s own resolution` },
    { key: 'relevanceMass', label: 'Share of the map inside the region (relevance mass)', value: share(m.relevanceMass), note: `0–1, higher = more of the map on the region; a uniform map scores ${share(m.regionFraction)}` },
    { key: 'relevanceRankAccuracy', label: 'Of the map’s top pixels (as many as the region has), the share inside (rank accuracy)', value: share(m.relevanceRankAccuracy), note: '0–1, higher = the strongest evidence lies in the region' },
    { key: 'iouTop', label: `Overlap of the map’s top ${formatValue(m.topPercent)} % with the region (IoU)`, value: share(m.iouTop), note: '0–1, higher = the map’s hot spot and the region coincide' },
  ];
}

/** What a failed sanity check means, in the words the badge, the review panel and the PDF use. */
export const SANITY_FAILED = 'this map does not depend on the model’s learned weights';

/** One line per checked side of an explanation's sanity check (none when it was not run), and the rule they were judged by. */
export function readableSanity(sanity: Explanation['sanity']): { lines: { side: 'image' | 'text'; passed: boolean; label: string; value: string }[]; rule: string } {
  const lines: { side: 'image' | 'text'; passed: boolean; label: string; value: string }[] = [];
  let rule = '';
  for (const side of ['image', 'text'] as const) {
    const c = sanity?.[side];
    if (!c) continue;
    const list = (v: number[]): string => v.map((x) => formatValue(x, 3)).join(', ');
    lines.push({
      side,
      passed: c.passed,
      label: `${side === 'image' ? 'Image map' : 'Word scores'}: ${c.passed ? 'passed' : 'FAILED'}`,
      value: `${c.passed ? '' : `${SANITY_FAILED}. `}ρ ${list(c.spearman)}; SSIM ${list(c.ssim)} (layers ${c.layers.map((l) => `${l}–top`).join(', ')} re-drawn)`,
    });
    rule = `Weights re-drawn (seed ${c.seed}) from the top layer down to the explained one, the method run again at each step; ρ = Spearman rank correlation with the original scores, SSIM on the patch grid (text: the word sequence). Fails when ρ with the top layer re-drawn is ≥ ${c.threshold}.`;
  }
  return { lines, rule };
}
