// Quality evaluation of a CLIP bundle on held-out phantoms (a seed range the training never saw),
// through exactly the app's path: loadClipBundle → preprocess (default window, gray → RGB,
// bicubic resize, CLIP normalize) → explain().
//   - report-to-image retrieval: for each image, is its own report the most similar among
//     `candidates` reports (the others from phantoms with different content: a different set of
//     finding type/side/zone, so that the right answer is unique)?
//   - per finding type and attribution method, with the finding's sentence as the text: pointing
//     game (the map's maximum inside the finding's mask), the same with the classic pointing game's
//     tolerance (Zhang et al. 2016/2018 count a maximum within 15 px of the object; here within half
//     a patch, the map's own resolution) and the fraction of map mass inside the mask;
//   - text side, with the whole report: does the top-scored word lie in the finding's sentence?
// `node --import tsx native-models/demo/eval.ts [--bundle DIR] [--count N] [--per-type N]
//  [--methods nib,gradcam,...] [--json OUT]` prints a markdown table.

import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHODS, type Method } from '../explain/types';
import { loadClipBundle, type ClipBundle } from '../clip/bundle';
import { preprocess, type ScanImage } from '../clip/preprocess';
import { explain } from '../explain/index';
import { poolToGrid, upsampleBilinear } from '../explain/maps';
import { distanceToMask, localisationMetrics } from '../explain/localisation';
import { contentKey } from './dataset';
import { DEFAULT_WINDOW, FINDING_TYPES, FOCAL_TYPES, renderPhantom, samplePhantom, type FindingType, type RenderedPhantom } from './phantom';
import { mulberry32, shuffle } from './random';
import { writeReport, type Report } from './report-grammar';

const here = dirname(fileURLToPath(import.meta.url));

/** Different from the training (1e6..) and the trainer's own held-out check (7e6..). */
export const EVAL_SEED_BASE = 9_000_000;

export interface EvalOptions {
  bundleDir?: string;
  /** Held-out phantoms for retrieval. */
  count?: number;
  /** Findings per type explained by each method. */
  perType?: number;
  candidates?: number;
  methods?: Method[];
  steps?: number;
  /** NIB / Grad-CAM / M2IB layer (default: the explainer's 3/4 of the depth). */
  layer?: number;
  /** Scan size the phantoms are rendered at (the app resizes to the model size). */
  renderSize?: number;
  seedBase?: number;
  onProgress?: (message: string) => void;
}

export interface AttributionRow {
  method: Method;
  type: FindingType;
  n: number;
  /** Fraction of findings whose map maximum lies inside the mask. */
  pointing: number;
  /** Fraction whose map maximum lies within half a patch (model pixels) of the mask. */
  pointingTolerant: number;
  /** Mean fraction of the (min-max normalized) map's mass inside the mask. */
  energyInside: number;
  /** Mean mask area as a fraction of the image: the energy a uniform map would get. */
  maskArea: number;
  /** Fraction of reports whose top-scored word lies in the finding's sentence. */
  textTopInSentence: number;
  /** Mean sentence length in words over the report length: the chance level of the above. */
  textChance: number;
  medianMs: number;
}

export interface EvalResult {
  bundle: string;
  retrieval: { n: number; candidates: number; top1: number; chance: number };
  attribution: AttributionRow[];
  /**
   * Per finding type, the pointing game of a perfect patch-level map (each patch scored by how much
   * of it the mask covers) drawn the app's way: the most any method whose map has the model's patch
   * resolution can score. Small findings miss when no patch centre falls inside them.
   */
  patchCeiling: { type: FindingType; pointing: number; pointingTolerant: number }[];
  markdown: string;
}

export interface Case {
  image: ScanImage;
  rendered: RenderedPhantom;
  report: Report;
  key: string;
}

function toScanImage(r: RenderedPhantom): ScanImage {
  return { width: r.width, height: r.height, channels: 1, pixels: r.pixels, window: { center: DEFAULT_WINDOW.center, width: DEFAULT_WINDOW.width }, invert: false };
}

function normalize(v: Float32Array, off: number, n: number): Float64Array {
  let s = 0;
  for (let i = 0; i < n; i++) s += v[off + i] * v[off + i];
  const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = v[off + i] * inv;
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function median(v: number[]): number {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Where the perfect patch map of a mask has its maximum, in scan pixels (square scan, seen whole
 * by the model): coverage per patch, bilinear upsampling to the model input (the app's rule).
 */
function patchCeilingPoint(mask: Uint8Array, W: number, H: number, grid: [number, number], modelSize: number): [number, number] {
  const [gh, gw] = grid;
  const up = upsampleBilinear(poolToGrid(mask, W, H, gh, gw), gh, gw, modelSize, modelSize);
  let best = 0;
  for (let i = 1; i < up.length; i++) if (up[i] > up[best]) best = i;
  return [(((best % modelSize) + 0.5) * W) / modelSize, ((Math.floor(best / modelSize) + 0.5) * H) / modelSize];
}

export interface LocalisationItem {
  c: Case;
  findingIdx: number;
  type: FindingType;
}

/**
 * The findings the attribution table explains: the first `perType` of each type, from phantoms
 * made for the purpose (one finding each, so the sentence names the only abnormality). Also what
 * `eval-pairs.ts` writes out for `candor eval`, so both measure the same maps.
 */
export function localisationItems(perType: number, size: number, seedBase: number = EVAL_SEED_BASE): LocalisationItem[] {
  const items: LocalisationItem[] = [];
  for (const type of FINDING_TYPES) {
    for (let k = 0; k < perType; k++) {
      const seed = seedBase + 500_000 + FINDING_TYPES.indexOf(type) * 10_000 + k;
      const spec = samplePhantom(seed, [{ type }]);
      const rendered = renderPhantom(spec, size);
      const c: Case = { image: toScanImage(rendered), rendered, report: writeReport(spec.findings, seed), key: contentKey(spec.findings) };
      items.push({ c, findingIdx: 0, type });
    }
  }
  return items;
}

export async function retrievalTop1(bundle: ClipBundle, cases: Case[], candidates: number, seed: number): Promise<number> {
  const dim = bundle.projectionDim;
  const imgs: Float64Array[] = [];
  for (const c of cases) {
    const { pixelValues } = preprocess(bundle, c.image);
    imgs.push(normalize(await bundle.embedImages(pixelValues, 1), 0, dim));
  }
  const txtRaw = await bundle.embedTexts(cases.map((c) => c.report.text));
  const txts = cases.map((_, i) => normalize(txtRaw, i * dim, dim));
  const rng = mulberry32(seed);
  let hits = 0;
  cases.forEach((c, i) => {
    const pool = shuffle(rng, cases.map((_, j) => j).filter((j) => cases[j].key !== c.key)).slice(0, candidates - 1);
    const own = dot(imgs[i], txts[i]);
    if (pool.every((j) => dot(imgs[i], txts[j]) < own)) hits++;
  });
  return hits / cases.length;
}

export async function evalDemo(opts: EvalOptions = {}): Promise<EvalResult> {
  const bundleDir = resolve(opts.bundleDir ?? join(here, 'bundle'));
  const count = opts.count ?? 200;
  const perType = opts.perType ?? 20;
  const candidates = opts.candidates ?? 10;
  const methods = opts.methods ?? [...METHODS];
  const steps = opts.steps ?? 10;
  const size = opts.renderSize ?? 192;
  const seedBase = opts.seedBase ?? EVAL_SEED_BASE;
  const log = opts.onProgress ?? (() => {});
  const bundle = await loadClipBundle(bundleDir);
  try {
    const cases: Case[] = [];
    for (let i = 0; i < count; i++) {
      const spec = samplePhantom(seedBase + i);
      const rendered = renderPhantom(spec, size);
      cases.push({ image: toScanImage(rendered), rendered, report: writeReport(spec.findings, seedBase + i), key: contentKey(spec.findings) });
    }
    log(`rendered ${count} held-out phantoms at ${size} px`);
    const top1 = await retrievalTop1(bundle, cases, candidates, seedBase);
    log(`retrieval top-1 among ${candidates}: ${top1.toFixed(3)}`);

    const items = localisationItems(perType, size, seedBase);
    // Half a patch, from model pixels to scan pixels (the phantoms are square, as is the model input).
    const tolerance = (bundle.patchSize / 2) * (size / bundle.imageSize);
    const patchCeiling = FINDING_TYPES.map((type) => {
      let hits = 0, near = 0, n = 0;
      for (const it of items.filter((x) => x.type === type)) {
        const { mask } = it.c.rendered.findings[it.findingIdx];
        const { width: W, height: H } = it.c.rendered;
        const [x, y] = patchCeilingPoint(mask, W, H, bundle.grid, bundle.imageSize);
        n++;
        if (mask[Math.min(H - 1, Math.floor(y)) * W + Math.min(W - 1, Math.floor(x))]) hits++;
        if (distanceToMask({ width: W, height: H, data: mask }, x, y) <= tolerance) near++;
      }
      return { type, pointing: n ? hits / n : 0, pointingTolerant: n ? near / n : 0 };
    });
    const rows: AttributionRow[] = [];
    for (const method of methods) {
      for (const type of FINDING_TYPES) {
        let hits = 0, near = 0, energy = 0, area = 0, textHits = 0, chance = 0, n = 0;
        const times: number[] = [];
        for (const it of items.filter((x) => x.type === type)) {
          const f = it.c.rendered.findings[it.findingIdx];
          const sentence = it.c.report.sentences.find((s) => s.findingIndex === it.findingIdx);
          if (!sentence) continue;
          const t0 = performance.now();
          const img = await explain(bundle, it.c.image, sentence.text, { method, target: 'image', steps, layer: opts.layer, metrics: false });
          const txt = await explain(bundle, it.c.image, it.c.report.text, { method, target: 'text', steps, metrics: false });
          times.push(performance.now() - t0);
          n++;
          const { width: W, height: H } = it.c.rendered;
          let mArea = 0;
          for (const v of f.mask) mArea += v;
          area += mArea / (W * H);
          const map = img.image?.map;
          if (map && map.values.length > 0) {
            const loc = localisationMetrics(map, { width: W, height: H, data: f.mask }, { tolerancePx: tolerance });
            hits += loc.pointingGame;
            near += loc.pointingGameTolerant;
            energy += loc.relevanceMass;
          }
          const words = txt.text?.words ?? [];
          if (words.length > 0) {
            let top = 0;
            for (let w = 1; w < words.length; w++) if (words[w].raw > words[top].raw) top = w;
            if (words[top].start >= sentence.start && words[top].end <= sentence.end) textHits++;
            chance += words.filter((w) => w.start >= sentence.start && w.end <= sentence.end).length / words.length;
          }
        }
        if (n === 0) continue;
        rows.push({ method, type, n, pointing: hits / n, pointingTolerant: near / n, energyInside: energy / n, maskArea: area / n, textTopInSentence: textHits / n, textChance: chance / n, medianMs: median(times) });
        log(`${method} ${type}: pointing ${(hits / n).toFixed(2)}`);
      }
    }
    const result: EvalResult = {
      bundle: bundleDir,
      retrieval: { n: count, candidates, top1, chance: 1 / candidates },
      attribution: rows,
      patchCeiling,
      markdown: '',
    };
    result.markdown = formatMarkdown(result);
    return result;
  } finally {
    await bundle.dispose();
  }
}

export function formatMarkdown(r: EvalResult): string {
  const f = (x: number) => x.toFixed(2);
  const lines: string[] = [];
  lines.push(`Report-to-image retrieval on ${r.retrieval.n} held-out phantoms: top-1 among ${r.retrieval.candidates} = **${f(r.retrieval.top1)}** (chance ${f(r.retrieval.chance)})`);
  lines.push('');
  lines.push('| method | finding | n | pointing game ↑ | within ½ patch ↑ | map mass in mask ↑ (uniform) | top word in sentence ↑ (chance) | median ms |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of r.attribution) {
    const focal = FOCAL_TYPES.includes(row.type) ? '' : ' (diffuse)';
    lines.push(`| ${row.method} | ${row.type}${focal} | ${row.n} | ${f(row.pointing)} | ${f(row.pointingTolerant)} | ${f(row.energyInside)} (${f(row.maskArea)}) | ${f(row.textTopInSentence)} (${f(row.textChance)}) | ${row.medianMs.toFixed(0)} |`);
  }
  const methods = [...new Set(r.attribution.map((x) => x.method))];
  lines.push('');
  lines.push('Focal findings (nodule, mass, consolidation, pneumothorax), mean over types:');
  lines.push('');
  lines.push('| method | pointing game | within ½ patch | map mass in mask | top word in sentence |');
  lines.push('| --- | --- | --- | --- | --- |');
  for (const m of methods) {
    const rows = r.attribution.filter((x) => x.method === m && FOCAL_TYPES.includes(x.type));
    const mean = (k: 'pointing' | 'pointingTolerant' | 'energyInside' | 'textTopInSentence') => rows.reduce((s, x) => s + x[k], 0) / Math.max(1, rows.length);
    lines.push(`| ${m} | ${f(mean('pointing'))} | ${f(mean('pointingTolerant'))} | ${f(mean('energyInside'))} | ${f(mean('textTopInSentence'))} |`);
  }
  const ceiling = r.patchCeiling.filter((c) => FOCAL_TYPES.includes(c.type));
  const ceilingMean = (k: 'pointing' | 'pointingTolerant') => f(ceiling.reduce((s, c) => s + c[k], 0) / Math.max(1, ceiling.length));
  lines.push(`| *a perfect patch-level map* | ${ceilingMean('pointing')} | ${ceilingMean('pointingTolerant')} | | |`);
  lines.push('');
  lines.push(`A perfect patch-level map (each patch scored by the mask's coverage, drawn the app's way) is the ceiling for any map at the model's patch resolution; per type, pointing game / within ½ patch: ${r.patchCeiling.map((c) => `${c.type} ${f(c.pointing)}/${f(c.pointingTolerant)}`).join(', ')}.`);
  return lines.join('\n');
}

function parseArgs(argv: string[]): EvalOptions & { json?: string } {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`eval.ts: --${name} must be a positive integer, got "${v}"`);
    return n;
  };
  const methodsArg = get('methods');
  let methods: Method[] | undefined;
  if (methodsArg) {
    methods = methodsArg.split(',') as Method[];
    const bad = methods.filter((m) => !(METHODS as readonly string[]).includes(m));
    if (bad.length) throw new Error(`eval.ts: unknown method(s) ${bad.join(', ')} (choose from ${METHODS.join(', ')})`);
  }
  return { bundleDir: get('bundle'), count: num('count'), perType: num('per-type'), steps: num('steps'), layer: get('layer') === undefined ? undefined : Number(get('layer')), methods, json: get('json') };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  const result = await evalDemo({ ...args, onProgress: (m) => console.error(m) });
  console.log(result.markdown);
  if (args.json) writeFileSync(args.json, JSON.stringify(result, null, 1));
}
