/**
 * One entry point for every attribution method: a scan, a report text and a method name in,
 * an Explanation (similarity, image map in scan coordinates, token and word scores with
 * character spans, faithfulness metrics, parameters, timings, warnings) out.
 *
 * preprocess → encode → attribute (the method's entry in the registry) → map → metrics.
 */
import { METHODS, TARGETS, type ExplanationCore, type Method, type Target, type TokenScore, type WordScore } from './types';
import type { ClipBundle } from '../clip/bundle';
import { preprocess, type ModelToScan, type ScanImage } from '../clip/preprocess';
import type { Tokenized } from '../clip/tokenizer';
import { checkAbort, cosine, ExplainCancelled, ExplainError, type Control, type Hidden } from './core';
import { checkLayer, tailGradient } from './graphs';
import { modelMapToScan, normalize, poolToGrid, upsampleBilinear, type NormalizeProblem } from './maps';
import { describeLimit, STEPS, withinLimit } from './methods';
import { deletionInsertion, imageConfidence, textConfidence } from './metrics';
import { ATTRIBUTORS, resolveParams, type Attributor } from './registry';
import { coverageWarning, reportWords, vocabularyCoverage } from './words';

export { ExplainCancelled, ExplainError };
export type { ExplanationCore };

export interface ExplainOptions {
  method: Method;
  layer?: number;
  steps?: number;
  target: Target;
  letterbox?: boolean;
  signal?: AbortSignal;
  onProgress?: (fraction: number, stage: string) => void;
  metrics?: boolean;
  /**
   * Method-specific settings, by the option keys METHOD_SPECS declares (M2IB beta/iterations,
   * RISE masks, seed, batch, …; keys a method does not declare are ignored), and aucSteps for
   * the metrics. Checked against their limits; recorded in params where the spec says so.
   */
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

const IMAGE_PROBLEMS: Record<NormalizeProblem, string> = {
  'not-finite': 'the image attribution contains NaN or infinite values: no map is drawn',
  'all-zero': 'the image attribution is all zero: no map is drawn',
  constant: 'the image attribution is constant over the image: no map is drawn',
};
const TOKEN_PROBLEMS: Record<NormalizeProblem, string> = {
  'not-finite': 'the text attribution contains NaN or infinite values: token scores are not shown',
  'all-zero': 'the text attribution is all zero',
  constant: 'the text attribution is the same for every token',
};
function wordProblem(problem: NormalizeProblem, words: number): string {
  if (problem === 'all-zero') return 'the attribution is zero on every word (what it has falls on the start/end tokens or on punctuation): no word is shaded';
  if (problem === 'constant') return words === 1 ? 'the text has one word: its score has nothing to be compared with, so it is not shaded' : 'the attribution is the same for every word: no word is shaded';
  return 'the word attribution contains NaN or infinite values: no word is shaded';
}

function attributorFor(method: string): Attributor {
  if (!(METHODS as readonly string[]).includes(method)) throw new ExplainError(`unknown method "${method}" (choose one of ${METHODS.join(', ')})`);
  return ATTRIBUTORS[method as Method];
}

/** The residual stream entering `layer` (batch item 0), from the towers' encode run. */
function streamOf(kind: 'vision' | 'text', layer: number, bundle: ClipBundle, out: Record<string, { data: unknown; dims: readonly number[] }>): Hidden {
  const t = out[(kind === 'vision' ? bundle.vision : bundle.text).layerInputs[layer]];
  return { kind, layer, h: t.data as Float32Array, T: Number(t.dims[1]), D: Number(t.dims[2]) };
}

export async function explain(bundle: ClipBundle, image: ScanImage, text: string, opts: ExplainOptions): Promise<ExplanationCore> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const warnings: string[] = [];
  const method = opts.method;
  const attributor = attributorFor(method);
  const spec = attributor.spec;
  if (!TARGETS.includes(opts.target)) throw new ExplainError(`unknown target "${opts.target}" (image, text or both)`);
  if (typeof text !== 'string' || text.trim() === '') throw new ExplainError('the report text is empty: give the report (or a sentence of it) to explain');
  const steps = opts.steps ?? STEPS.default;
  if (!withinLimit(STEPS, steps)) throw new ExplainError(`steps must be ${describeLimit(STEPS)} (got ${steps})`);
  const imageSide = opts.target !== 'text' ? attributor.image : null;
  const textSide = opts.target !== 'image' ? attributor.text : null;
  if (opts.target !== 'text' && !imageSide) throw new ExplainError(`${spec.label} does not explain the image: choose target text`);
  if (opts.target !== 'image' && !textSide) throw new ExplainError(`${spec.label} does not explain the text: choose target image`);
  const doImage = imageSide !== null;
  const doText = textSide !== null;
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
  const words = reportWords(text, tok.tokens);
  const coverage = coverageWarning(vocabularyCoverage(words, tok.tokens, bundle.tokenizer.unknownId));
  if (coverage) warnings.push(coverage);
  timings.preprocessMs = performance.now() - t0;

  progress('encode', 0.02);
  const tEnc = performance.now();
  const streamLayer = (reads: string, layer: number): number[] => (reads === 'layer' ? [layer] : reads === 'embeddings' ? [0] : []);
  const vLayers = imageSide ? streamLayer(imageSide.reads, vLayer) : [];
  const tLayers = textSide ? streamLayer(textSide.reads, tLayer) : [];
  const vOut = await bundle.runVision(pixelValues, 1, [bundle.vision.outputName, ...vLayers.map((l) => bundle.vision.layerInputs[l])]);
  const tOut = await bundle.runText(tok.ids, [bundle.text.outputName, ...tLayers.map((l) => bundle.text.layerInputs[l])]);
  const imageEmbeds = vOut[bundle.vision.outputName].data as Float32Array;
  const textEmbeds = tOut[bundle.text.outputName].data as Float32Array;
  const similarity = cosine(textEmbeds, imageEmbeds);
  timings.encodeMs = performance.now() - tEnc;
  const params: ExplanationCore['params'] = { layer: doImage ? vLayer : tLayer, steps, target: opts.target, letterbox };
  if (doImage && doText && vLayer !== tLayer) params.textLayer = tLayer;
  const sideParams = (group: (typeof spec.params)['image']): Record<string, number> => {
    const { values, recorded } = resolveParams(spec, group, extra);
    Object.assign(params, recorded);
    return values;
  };

  const wImage = doImage ? (doText ? 0.5 : 0.85) : 0;
  const wText = doText ? (doImage ? 0.3 : 0.85) : 0;
  stageBase = 0.05;

  // Image: per-patch scores (CLS dropped), and the pixel-level map of the methods on the input.
  let imageRes: { patch: Float64Array; pixel: Float64Array | null } | null = null;
  if (imageSide) {
    const tI = performance.now();
    const input = { bundle, target: textEmbeds, steps, params: sideParams(spec.params.image), ctl: { signal, progress: report('image', wImage) } };
    if (imageSide.reads === 'pixels') {
      const pixel = await imageSide.run({ ...input, pixelValues });
      imageRes = { patch: Float64Array.from(poolToGrid(pixel, bundle.imageSize, bundle.imageSize, bundle.grid[0], bundle.grid[1])), pixel };
    } else {
      const scores = await imageSide.run({ ...input, hidden: streamOf('vision', vLayers[0], bundle, vOut), ids: null });
      imageRes = { patch: bundle.visionCls ? scores.slice(1) : scores, pixel: null };
    }
    timings.imageMs = performance.now() - tI;
    stageBase += wImage;
  }

  let textScores: Float64Array | null = null;
  if (textSide) {
    const tT = performance.now();
    const input = { bundle, target: imageEmbeds, steps, params: sideParams(spec.params.text), ctl: { signal, progress: report('text', wText) } };
    textScores =
      textSide.reads === 'ids'
        ? await textSide.run({ ...input, ids: tok.ids })
        : await textSide.run({ ...input, hidden: streamOf('text', tLayers[0], bundle, tOut), ids: tok.ids });
    timings.textMs = performance.now() - tT;
    stageBase += wText;
  }

  // Image: grid → model-space map (PyTorch bilinear) → min-max → scan coordinates.
  let imageOut: ExplanationCore['image'] = null;
  let modelMap: Float64Array | null = null;
  if (imageRes) {
    const [gh, gw] = bundle.grid;
    const n = normalize(imageRes.pixel ?? upsampleBilinear(imageRes.patch, gh, gw, transform.modelHeight, transform.modelWidth));
    modelMap = n.values;
    const caveat = n.problem ? IMAGE_PROBLEMS[n.problem] : attributor.imageCaveat?.(vLayer, bundle);
    if (caveat) warnings.push(caveat);
    imageOut = {
      grid: [gh, gw],
      tokenScores: Array.from(imageRes.patch),
      map: modelMap ? modelMapToScan(modelMap, transform) : { width: 0, height: 0, values: new Float32Array(0) },
    };
  }

  // Text: tokens, then words (their tokens summed), each min-max normalized; nothing to tell apart → all 0.
  let textOut: ExplanationCore['text'] = null;
  let tokenNorm: Float64Array | null = null;
  if (textScores) {
    const scores = textScores;
    const tn = normalize(scores);
    tokenNorm = tn.values;
    if (tn.problem) warnings.push(TOKEN_PROBLEMS[tn.problem]);
    const tokens: TokenScore[] = tok.tokens.map((t, i) => ({
      text: t.text, start: t.start, end: t.end, raw: scores[i], normalized: tn.values ? tn.values[i] : 0, special: t.special,
    }));
    const wraw = words.map((g) => g.tokenIndices.reduce((s, i) => s + scores[i], 0));
    const wn = normalize(wraw);
    if (tn.values && wn.problem && words.length > 0) warnings.push(wordProblem(wn.problem, words.length));
    const wordScores: WordScore[] = words.map((g, k) => ({ text: g.text, start: g.start, end: g.end, raw: wraw[k], normalized: tn.values && wn.values ? wn.values[k] : 0 }));
    textOut = { tokens, words: wordScores };
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

export type { ModelToScan };
