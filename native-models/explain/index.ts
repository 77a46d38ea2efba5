/**
 * One entry point for every attribution method: a scan, a report text and a method name in,
 * an Explanation (similarity, image map in scan coordinates, token and word scores with
 * character spans, faithfulness metrics, parameters, timings, warnings) out.
 */
import { METHODS, type ExplanationCore, type Method, type TokenScore, type WordScore } from './types';
import type { ClipBundle } from '../clip/bundle';
import { preprocess, type ModelToScan, type ScanImage } from '../clip/preprocess';
import { groupWords, type Tokenized } from '../clip/tokenizer';
import {
  gradcamAttribution, igImage, m2ibAttribution, M2IB_DEFAULTS, riseImage, riseText, RISE_IMAGE_DEFAULTS, RISE_TEXT_DEFAULTS, saliencyImage, saliencyText,
} from './baselines';
import { checkAbort, cosine, ExplainCancelled, ExplainError, type Control, type Hidden } from './core';
import { checkLayer, tailGradient } from './graphs';
import { minMax, modelMapToScan, poolToGrid, upsampleBilinear } from './maps';
import { deletionInsertion, imageConfidence, textConfidence } from './metrics';
import { nibAttribution } from './nib';

export { ExplainCancelled, ExplainError };
export type { ExplanationCore };

export interface ExplainOptions {
  method: Method;
  layer?: number;
  steps?: number;
  target: 'image' | 'text' | 'both';
  letterbox?: boolean;
  signal?: AbortSignal;
  onProgress?: (fraction: number, stage: string) => void;
  metrics?: boolean;
  /** Method-specific settings (M2IB beta/iterations, RISE masks, seed, …), recorded in params. */
  extra?: Record<string, number>;
}

export function defaultLayer(layers: number): number {
  return Math.floor((3 * layers) / 4);
}

/**
 * Builds the NIB graphs (tail + gradient at the layer, both towers) ahead of the first explanation,
 * which otherwise pays for it (seconds for a ViT-B/32). Call after loading a bundle; safe to call twice.
 */
export async function prepareExplainer(bundle: ClipBundle, opts?: { layer?: number }): Promise<void> {
  await tailGradient(bundle, 'vision', opts?.layer ?? defaultLayer(bundle.visionLayers));
  await tailGradient(bundle, 'text', opts?.layer ?? defaultLayer(bundle.textLayers));
}

interface ImageResult {
  /** per patch, row-major over the grid */
  patch: Float64Array;
  cls: number | null;
  /** model-space raw pixel map for pixel-level methods */
  pixel: Float64Array | null;
}

function finiteStats(v: ArrayLike<number>): { nan: boolean; allZero: boolean } {
  let nan = false, allZero = true;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) nan = true;
    else if (v[i] !== 0) allZero = false;
  }
  return { nan, allZero };
}

function splitVision(bundle: ClipBundle, scores: Float64Array): ImageResult {
  if (bundle.visionCls) return { patch: scores.slice(1), cls: scores[0], pixel: null };
  return { patch: scores, cls: null, pixel: null };
}

export async function explain(bundle: ClipBundle, image: ScanImage, text: string, opts: ExplainOptions): Promise<ExplanationCore> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const warnings: string[] = [];
  const method = opts.method;
  if (!(METHODS as readonly string[]).includes(method)) throw new ExplainError(`unknown method "${method}" (choose one of ${METHODS.join(', ')})`);
  if (!['image', 'text', 'both'].includes(opts.target)) throw new ExplainError(`unknown target "${opts.target}" (image, text or both)`);
  if (typeof text !== 'string' || text.trim() === '') throw new ExplainError('the report text is empty: give the report (or a sentence of it) to explain');
  const steps = opts.steps ?? 10;
  if (!Number.isInteger(steps) || steps < 1 || steps > 1000) throw new ExplainError(`steps must be an integer 1–1000 (got ${steps})`);
  const doImage = opts.target !== 'text';
  const doText = opts.target !== 'image';
  const vLayer = opts.layer ?? defaultLayer(bundle.visionLayers);
  const tLayer = opts.layer ?? defaultLayer(bundle.textLayers);
  if (doImage) checkLayer(bundle, 'vision', vLayer);
  if (doText) checkLayer(bundle, 'text', tLayer);
  const extra = opts.extra ?? {};
  const signal = opts.signal;
  let stageBase = 0;
  const report = (stage: string, weight: number): Control['progress'] => (f: number) => opts.onProgress?.(Math.min(1, stageBase + weight * f), stage);
  const progress = (stage: string, f: number): void => opts.onProgress?.(f, stage);

  progress('preprocess', 0);
  checkAbort(signal);
  const letterbox = opts.letterbox ?? false;
  const { pixelValues, transform } = preprocess(bundle, image, { letterbox });
  const tok: Tokenized = bundle.tokenize(text);
  if (!tok.tokens.some((t) => !t.special)) throw new ExplainError('the report text has no words the tokenizer can read');
  if (tok.truncated) warnings.push(`the report is longer than the text model's ${bundle.contextLength} tokens: only the first part is explained`);
  timings.preprocessMs = performance.now() - t0;

  progress('encode', 0.02);
  const tEnc = performance.now();
  const vFetch = [bundle.vision.outputName, bundle.vision.layerInputs[vLayer]];
  const tFetch = [bundle.text.outputName, bundle.text.layerInputs[tLayer]];
  if (method === 'saliency' || method === 'ig') tFetch.push(bundle.text.layerInputs[0]);
  const vOut = await bundle.runVision(pixelValues, 1, [...new Set(vFetch)]);
  const tOut = await bundle.runText(tok.ids, [...new Set(tFetch)]);
  const imageEmbeds = vOut[bundle.vision.outputName].data as Float32Array;
  const textEmbeds = tOut[bundle.text.outputName].data as Float32Array;
  const similarity = cosine(textEmbeds, imageEmbeds);
  timings.encodeMs = performance.now() - tEnc;
  const hidden = (kind: 'vision' | 'text', layer: number): Hidden => {
    const tower = kind === 'vision' ? bundle.vision : bundle.text;
    const t = (kind === 'vision' ? vOut : tOut)[tower.layerInputs[layer]];
    return { kind, layer, h: t.data as Float32Array, T: Number(t.dims[1]), D: Number(t.dims[2]) };
  };
  const params: ExplanationCore['params'] = { layer: doImage ? vLayer : tLayer, steps, target: opts.target, letterbox };
  if (doImage && doText && vLayer !== tLayer) params.textLayer = tLayer;

  const wImage = doImage ? (doText ? 0.5 : 0.85) : 0;
  const wText = doText ? (doImage ? 0.3 : 0.85) : 0;
  stageBase = 0.05;

  let imageRes: ImageResult | null = null;
  if (doImage) {
    const tI = performance.now();
    const ctl: Control = { signal, progress: report('image', wImage) };
    const hv = hidden('vision', vLayer);
    switch (method) {
      case 'nib': {
        const a = await nibAttribution(bundle, hv, textEmbeds, steps, null, { ...ctl, maxBatch: extra.batch });
        imageRes = splitVision(bundle, a.scores);
        break;
      }
      case 'gradcam':
        imageRes = splitVision(bundle, await gradcamAttribution(bundle, hv, textEmbeds, null, ctl));
        break;
      case 'm2ib': {
        const p = { ...M2IB_DEFAULTS, ...pick(extra, ['beta', 'iterations', 'lr', 'batch', 'seed']) };
        Object.assign(params, prefixed('m2ib', p));
        imageRes = splitVision(bundle, await m2ibAttribution(bundle, hv, textEmbeds, null, p, ctl));
        break;
      }
      case 'rise': {
        const p = { ...RISE_IMAGE_DEFAULTS, ...pick(extra, ['masks', 'cells', 'p', 'seed', 'batch']) };
        Object.assign(params, prefixed('rise', p));
        const pix = await riseImage(bundle, pixelValues, textEmbeds, p, ctl);
        imageRes = { patch: Float64Array.from(poolToGrid(pix, bundle.imageSize, bundle.imageSize, bundle.grid[0], bundle.grid[1])), cls: null, pixel: pix };
        break;
      }
      case 'saliency': {
        const pix = await saliencyImage(bundle, pixelValues, textEmbeds, ctl);
        imageRes = { patch: Float64Array.from(poolToGrid(pix, bundle.imageSize, bundle.imageSize, bundle.grid[0], bundle.grid[1])), cls: null, pixel: pix };
        break;
      }
      case 'ig': {
        const pix = await igImage(bundle, pixelValues, textEmbeds, steps, ctl);
        imageRes = { patch: Float64Array.from(poolToGrid(pix, bundle.imageSize, bundle.imageSize, bundle.grid[0], bundle.grid[1])), cls: null, pixel: pix };
        break;
      }
    }
    timings.imageMs = performance.now() - tI;
    stageBase += wImage;
  }

  let textScores: Float64Array | null = null;
  if (doText) {
    const tT = performance.now();
    const ctl: Control = { signal, progress: report('text', wText) };
    const ht = hidden('text', tLayer);
    switch (method) {
      case 'nib':
        textScores = (await nibAttribution(bundle, ht, imageEmbeds, steps, tok.ids, { ...ctl, maxBatch: extra.batch })).scores;
        break;
      case 'gradcam':
        textScores = await gradcamAttribution(bundle, ht, imageEmbeds, tok.ids, ctl);
        break;
      case 'm2ib': {
        const p = { ...M2IB_DEFAULTS, ...pick(extra, ['beta', 'iterations', 'lr', 'batch', 'seed']) };
        Object.assign(params, prefixed('m2ib', p));
        textScores = await m2ibAttribution(bundle, ht, imageEmbeds, tok.ids, p, ctl);
        break;
      }
      case 'rise': {
        const p = { ...RISE_TEXT_DEFAULTS, ...pick(extra, ['textMasks', 'cells', 'p', 'seed'], { textMasks: 'masks' }) };
        Object.assign(params, prefixed('riseText', p));
        textScores = await riseText(bundle, tok.ids, imageEmbeds, p, ctl);
        break;
      }
      case 'saliency':
        textScores = await saliencyText(bundle, hidden('text', 0), imageEmbeds, tok.ids, ctl);
        break;
      case 'ig':
        textScores = (await nibAttribution(bundle, hidden('text', 0), imageEmbeds, steps, tok.ids, ctl)).scores;
        break;
    }
    timings.textMs = performance.now() - tT;
    stageBase += wText;
  }

  // Image: grid → model-space map (PyTorch bilinear) → min-max → scan coordinates.
  let imageOut: ExplanationCore['image'] = null;
  let modelMap: Float64Array | null = null;
  if (imageRes) {
    const [gh, gw] = bundle.grid;
    const S = bundle.imageSize;
    const st = finiteStats(imageRes.patch);
    const raw = imageRes.pixel ?? upsampleBilinear(imageRes.patch, gh, gw, transform.modelHeight, transform.modelWidth);
    modelMap = st.nan ? null : minMax(raw);
    if (st.nan) warnings.push('the image attribution contains NaN or infinite values: no map is drawn');
    else if (!modelMap) warnings.push(st.allZero ? 'the image attribution is all zero: no map is drawn' : 'the image attribution is constant over the image: no map is drawn');
    else if (method === 'nib' && vLayer === bundle.visionLayers - 1) {
      warnings.push(`layer ${vLayer} is the last vision layer: patch scores there are near zero (rounding noise) for a pre-LayerNorm CLIP; an earlier layer gives a meaningful map`);
    }
    void S;
    imageOut = {
      grid: [gh, gw],
      tokenScores: Array.from(imageRes.patch),
      map: modelMap ? modelMapToScan(modelMap, transform) : { width: 0, height: 0, values: new Float32Array(0) },
    };
  }

  let textOut: ExplanationCore['text'] = null;
  let tokenNorm: Float64Array | null = null;
  if (textScores) {
    const st = finiteStats(textScores);
    tokenNorm = st.nan ? null : minMax(textScores);
    if (st.nan) warnings.push('the text attribution contains NaN or infinite values: token scores are not shown');
    else if (!tokenNorm) warnings.push(st.allZero ? 'the text attribution is all zero' : 'the text attribution is the same for every token');
    const norm = tokenNorm;
    const tokens: TokenScore[] = tok.tokens.map((t, i) => ({
      text: t.text, start: t.start, end: t.end, raw: textScores![i], normalized: norm ? norm[i] : 0, special: t.special,
    }));
    // Words are the report's words: punctuation-only tokens keep their token scores but are no word.
    const groups = groupWords(text, tok.tokens).filter((g) => !/^[\p{P}\p{S}]+$/u.test(g.text));
    const wraw = groups.map((g) => g.tokenIndices.reduce((s, i) => s + textScores![i], 0));
    const wn = minMax(wraw);
    const words: WordScore[] = groups.map((g, k) => ({ text: g.text, start: g.start, end: g.end, raw: wraw[k], normalized: wn ? wn[k] : norm ? 1 : 0 }));
    textOut = { tokens, words };
  }

  const metrics: Record<string, number> = {};
  if (opts.metrics !== false) {
    const tM = performance.now();
    checkAbort(signal);
    const ctl: Control = { signal, progress: report('metrics', 0.95 - stageBase) };
    if (modelMap) {
      const ic = await imageConfidence(bundle, pixelValues, modelMap, textEmbeds, similarity);
      metrics.vdrop = ic.vdrop;
      metrics.vincr = ic.vincr;
      const di = await deletionInsertion(bundle, pixelValues, modelMap, textEmbeds, extra.aucSteps ?? 16, ctl);
      metrics.deletionAuc = di.deletion;
      metrics.insertionAuc = di.insertion;
    }
    if (tokenNorm) {
      const tc = await textConfidence(bundle, tok.ids, tok.tokens.map((t) => t.special), tokenNorm, imageEmbeds);
      if (tc) {
        metrics.tdrop = tc.tdrop;
        metrics.tincr = tc.tincr;
      }
    }
    timings.metricsMs = performance.now() - tM;
  }
  timings.totalMs = performance.now() - t0;
  progress('done', 1);
  return {
    method,
    params,
    similarity,
    model: { name: bundle.name, sha256: bundle.sha256 },
    provider: bundle.provider,
    image: imageOut,
    text: textOut,
    metrics,
    timings,
    warnings,
  };
}

function pick(src: Record<string, number>, keys: string[], rename: Record<string, string> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) if (typeof src[k] === 'number' && Number.isFinite(src[k])) out[rename[k] ?? k] = src[k];
  return out;
}

function prefixed(prefix: string, p: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(p)) if (typeof v === 'number') out[`${prefix}.${k}`] = v;
  return out;
}

export type { ModelToScan };
