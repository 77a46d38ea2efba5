/**
 * `candor eval --model DIR --pairs DIR [--methods M1,M2,…] [--layer L] [--steps N] [method settings]
 *   [--precision fp32|int8] [--limit N] [--letterbox] [--md OUT] [--json OUT]` (methods and settings: methodsHelp())
 *
 * Every method's faithfulness metrics (mean over the pairs) and speed as one table, like the
 * NIB paper's. A pair is an image file with a report next to it (same name, .txt), or an entry
 * of `pairs.json` ([{ "image": "a.png", "text": "...", "mask": "a-box.png" }]) in the folder.
 * A pair may carry a mask of where its text's finding is (`NAME.mask.png` beside the image, or
 * "mask" in pairs.json; non-zero inside, the image's size): each method then also gets the
 * localisation figures of its image maps (native-models/explain/localisation.ts), mean over the
 * pairs with a mask.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { LAYER, METHOD_SPECS, METHODS, PRECISIONS, STEPS, type Method, type Precision } from '../../api/contract';
import { loadClipBundle, type ClipBundle, type Prefer } from '../../../native-models/clip/bundle';
import { explain } from '../../../native-models/explain/index';
import { DEFAULT_TOP_PERCENT, halfPatchInScan, localisationMetrics, type ScanMask } from '../../../native-models/explain/localisation';
import type { LocalisationMetrics } from '../../../native-models/explain/types';
import { defaultConfigDir } from '../../../db/installation';
import { graphCacheIn } from '../../services/graph-cache';
import { intOption, parseArgs, progressBar, scanImageFromFile, UsageError, type CliIo } from './explain';
import { methodExtra, methodOptionNames, methodPrecision, methodsHelp } from '../method-options';

export interface Pair {
  image: string;
  text: string;
  /** A mask of the text's finding over the image (non-zero inside). */
  mask?: string;
}

const MASK_SUFFIX = '.mask.png';

export function findPairs(dir: string): Pair[] {
  if (!existsSync(dir)) throw new UsageError(`${dir}: folder not found`);
  const manifest = join(dir, 'pairs.json');
  if (existsSync(manifest)) {
    let list: unknown;
    try {
      list = JSON.parse(readFileSync(manifest, 'utf8'));
    } catch (e) {
      throw new UsageError(`${manifest}: not valid JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(list)) throw new UsageError(`${manifest}: expected a list of { "image", "text" }`);
    return list.map((p, i) => {
      const o = p as Record<string, unknown>;
      if (typeof o?.image !== 'string' || typeof o?.text !== 'string') throw new UsageError(`${manifest}: entry ${i} needs "image" and "text" strings`);
      if (o.mask !== undefined && typeof o.mask !== 'string') throw new UsageError(`${manifest}: entry ${i}: "mask" must be a file name`);
      return { image: join(dir, o.image), text: o.text, ...(typeof o.mask === 'string' ? { mask: join(dir, o.mask) } : {}) };
    });
  }
  const pairs: Pair[] = [];
  for (const f of readdirSync(dir).sort()) {
    const ext = extname(f).toLowerCase();
    if (!['.png', '.dcm', '.jpg', '.jpeg'].includes(ext) || f.toLowerCase().endsWith(MASK_SUFFIX)) continue;
    const name = basename(f, extname(f));
    const txt = join(dir, `${name}.txt`);
    const mask = join(dir, `${name}${MASK_SUFFIX}`);
    if (existsSync(txt)) pairs.push({ image: join(dir, f), text: readFileSync(txt, 'utf8'), ...(existsSync(mask) ? { mask } : {}) });
  }
  if (pairs.length === 0) throw new UsageError(`${dir}: no image–report pairs (image files with a .txt of the same name, or pairs.json)`);
  return pairs;
}

/** Localisation figures of a method's image maps, mean over the pairs with a mask (rates for the pointing games). */
export type LocalisationRow = Pick<LocalisationMetrics, (typeof LOCALISATION_KEYS)[number] | 'topPercent'> & {
  /** Pairs with a mask and a map. */
  pairs: number;
};

const LOCALISATION_KEYS = ['pointingGame', 'pointingGameTolerant', 'relevanceMass', 'relevanceRankAccuracy', 'iouTop'] as const;

const LOCALISATION_COLUMNS: [(typeof LOCALISATION_KEYS)[number], string][] = [
  ['pointingGame', 'pointing game ↑'], ['pointingGameTolerant', 'within ½ patch ↑'], ['relevanceMass', 'relevance mass ↑'], ['relevanceRankAccuracy', 'rank accuracy ↑'], ['iouTop', `IoU top ${DEFAULT_TOP_PERCENT} % ↑`],
];

/** Reads a pair's mask: the image's size, non-zero (in any channel) inside. */
export async function readMask(file: string, width: number, height: number): Promise<ScanMask> {
  let img;
  try {
    img = (await scanImageFromFile(file, 1, null)).image;
  } catch (e) {
    throw new UsageError(`${file}: cannot read the mask: ${(e as Error).message}`);
  }
  if (img.width !== width || img.height !== height) throw new UsageError(`${file}: the mask is ${img.width}×${img.height}, its image ${width}×${height}`);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    for (let c = 0; c < img.channels; c++) if (img.pixels[i * img.channels + c] !== 0) data[i] = 1;
  }
  if (!data.includes(1)) throw new UsageError(`${file}: the mask is empty (no non-zero pixel)`);
  return { width, height, data };
}

export interface MethodRow {
  method: Method;
  precision: Precision;
  pairs: number;
  failures: number;
  metrics: Record<string, number>;
  /** Present when some pair carries a mask. */
  localisation?: LocalisationRow;
  /** median wall time per pair (image + text side, without metrics), ms */
  medianMs: number;
  imageMs: number;
  textMs: number;
}

const METRIC_COLUMNS: [string, string][] = [
  ['vdrop', 'img drop ↓'], ['vincr', 'img incr ↑'], ['tdrop', 'txt drop ↓'], ['tincr', 'txt incr ↑'], ['deletionAuc', 'deletion AUC ↓'], ['insertionAuc', 'insertion AUC ↑'],
];

function median(v: number[]): number {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export async function evaluate(bundle: ClipBundle, pairs: Pair[], methods: Method[], opts: { layer?: number; steps?: number; extra?: Record<string, number>; precision?: Precision; letterbox?: boolean; onProgress?: (f: number, stage: string) => void; stderr?: (s: string) => void }): Promise<MethodRow[]> {
  const images = [];
  const masks: (ScanMask | null)[] = [];
  for (const p of pairs) {
    const { image } = await scanImageFromFile(p.image, 1, null);
    images.push(image);
    masks.push(p.mask ? await readMask(p.mask, image.width, image.height) : null);
  }
  const anyMask = masks.some((m) => m !== null);
  const rows: MethodRow[] = [];
  let done = 0;
  for (const method of methods) {
    // A precision applies to the methods that offer it (NIB's int8); the others run fp32, as in the app.
    const precision: Precision = opts.precision && METHOD_SPECS[method].precisions.includes(opts.precision) ? opts.precision : 'fp32';
    const sums: Record<string, number[]> = {};
    const times: number[] = [], imageT: number[] = [], textT: number[] = [];
    const loc = { pointingGame: 0, pointingGameTolerant: 0, relevanceMass: 0, relevanceRankAccuracy: 0, iouTop: 0, pairs: 0 };
    let failures = 0;
    for (let i = 0; i < pairs.length; i++) {
      try {
        const e = await explain(bundle, images[i], pairs[i].text, {
          method, layer: opts.layer, steps: opts.steps, extra: opts.extra, precision, target: 'both', letterbox: opts.letterbox, metrics: true,
          onProgress: (f, stage) => opts.onProgress?.((done + f) / (methods.length * pairs.length), `${method} ${stage}`),
        });
        for (const [k, v] of Object.entries(e.metrics)) (sums[k] ??= []).push(v);
        times.push((e.timings.imageMs ?? 0) + (e.timings.textMs ?? 0));
        imageT.push(e.timings.imageMs ?? 0);
        textT.push(e.timings.textMs ?? 0);
        const mask = masks[i];
        if (mask && e.image && e.image.map.values.length > 0) {
          const tolerancePx = halfPatchInScan(e.image.grid, images[i].width, images[i].height, opts.letterbox ?? false);
          const m = localisationMetrics(e.image.map, mask, { tolerancePx });
          for (const k of LOCALISATION_KEYS) loc[k] += m[k];
          loc.pairs++;
        }
      } catch (err) {
        failures++;
        opts.stderr?.(`${method} on ${pairs[i].image}: ${(err as Error).message}\n`);
      }
      done++;
    }
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(sums)) metrics[k] = v.reduce((a, b) => a + b, 0) / v.length;
    const row: MethodRow = { method, precision, pairs: pairs.length - failures, failures, metrics, medianMs: median(times), imageMs: median(imageT), textMs: median(textT) };
    if (anyMask) {
      const mean = (k: (typeof LOCALISATION_KEYS)[number]) => (loc.pairs ? loc[k] / loc.pairs : NaN);
      row.localisation = { pointingGame: mean('pointingGame'), pointingGameTolerant: mean('pointingGameTolerant'), relevanceMass: mean('relevanceMass'), relevanceRankAccuracy: mean('relevanceRankAccuracy'), iouTop: mean('iouTop'), topPercent: DEFAULT_TOP_PERCENT, pairs: loc.pairs };
    }
    rows.push(row);
  }
  return rows;
}

export function markdownTable(rows: MethodRow[]): string {
  const withLoc = rows.some((r) => r.localisation);
  const head = ['method', ...METRIC_COLUMNS.map(([, h]) => h), ...(withLoc ? LOCALISATION_COLUMNS.map(([, h]) => h) : []), 'image ms', 'text ms', 'pairs'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows) {
    const locCells = withLoc ? LOCALISATION_COLUMNS.map(([k]) => (r.localisation && r.localisation.pairs ? r.localisation[k].toFixed(2) : '–')) : [];
    const pairsCell = String(r.pairs) + (r.failures ? ` (${r.failures} failed)` : '') + (r.localisation ? `, ${r.localisation.pairs} with a mask` : '');
    const cells = [r.precision === 'fp32' ? r.method : `${r.method} (${r.precision})`, ...METRIC_COLUMNS.map(([k]) => (r.metrics[k] === undefined ? '–' : r.metrics[k].toFixed(k.endsWith('Auc') ? 4 : 2))), ...locCells, r.imageMs.toFixed(0), r.textMs.toFixed(0), pairsCell];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

const USAGE = `usage: candor eval --model DIR --pairs DIR [--methods ${METHODS.join(',')}] [--layer L] [--steps N] [method settings: see --help] [--precision fp32|int8] [--limit N] [--letterbox] [--md OUT] [--json OUT]`;
/** --help adds the methods and their settings (a usage error shows only the usage). */
const HELP = `${USAGE}\n\n${methodsHelp()}`;

/** --precision for a table of methods: it must be one that some chosen method runs in (the rest run fp32). */
function evalPrecision(methods: Method[], value: string | undefined): Precision {
  if (value === undefined) return 'fp32';
  const offering = methods.filter((m) => (METHOD_SPECS[m].precisions as readonly string[]).includes(value));
  if (offering.length === 0 && (PRECISIONS as readonly string[]).includes(value)) {
    throw new UsageError(`--precision ${value}: none of ${methods.map((m) => METHOD_SPECS[m].label).join(', ')} runs in ${value}`);
  }
  return methodPrecision(offering, value);
}

export async function evalCommand(args: string[], io: CliIo): Promise<number> {
  let bundle: ClipBundle | null = null;
  try {
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout(`${HELP}\n`);
      return 0;
    }
    const { values, flags } = parseArgs(args, ['model', 'pairs', 'methods', 'layer', 'steps', 'precision', 'limit', 'md', 'json', 'prefer', ...methodOptionNames()], ['letterbox', 'quiet']);
    if (!values.model) throw new UsageError('--model DIR is required');
    if (!values.pairs) throw new UsageError('--pairs DIR is required');
    const methods = (values.methods ?? METHODS.join(',')).split(',').map((s) => s.trim()).filter(Boolean) as Method[];
    for (const m of methods) if (!(METHODS as readonly string[]).includes(m)) throw new UsageError(`--methods: unknown method "${m}" (choose from ${METHODS.join(', ')})`);
    const layer = intOption(values, 'layer', LAYER.min, LAYER.max);
    const steps = intOption(values, 'steps', STEPS.min, STEPS.max);
    const extra = methodExtra(methods, values);
    const precision = evalPrecision(methods, values.precision);
    const limit = intOption(values, 'limit', 1, 1e6);
    let pairs = findPairs(values.pairs);
    if (limit) pairs = pairs.slice(0, limit);
    bundle = await loadClipBundle(values.model, { prefer: (values.prefer ?? 'auto') as Prefer, graphCache: graphCacheIn(defaultConfigDir()) });
    const rows = await evaluate(bundle, pairs, methods, { layer, steps, extra, precision, letterbox: flags.has('letterbox'), onProgress: flags.has('quiet') ? undefined : progressBar(io), stderr: io.stderr });
    const md = markdownTable(rows);
    io.stdout(md);
    if (values.md) writeFileSync(values.md, md);
    const json = { model: { name: bundle.name, sha256: bundle.sha256 }, provider: bundle.provider, pairs: pairs.length, params: { layer: layer ?? null, steps: steps ?? STEPS.default, precision, ...extra }, rows };
    if (values.json) writeFileSync(values.json, `${JSON.stringify(json, null, 1)}\n`);
    return rows.some((r) => r.pairs === 0) ? 1 : 0;
  } catch (e) {
    const err = e as Error;
    io.stderr(`candor eval: ${err.message}\n`);
    if (err instanceof UsageError) io.stderr(`${USAGE}\n`);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    await bundle?.dispose();
  }
}
