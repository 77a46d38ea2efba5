/**
 * One entry point for every attribution method: a scan, a report text and a method name in,
 * an Explanation (similarity, image map in scan coordinates, token and word scores with
 * character spans, faithfulness metrics, parameters, timings, warnings) out.
 *
 * preprocess → encode → attribute (the method's entry in the registry) → map → metrics.
 */
import { METHODS, PRECISIONS, TARGETS, type ExplanationCore, type Method, type Precision, type Target, type TokenScore, type WordScore } from './types';
import { releaseDerived, type ClipBundle } from '../clip/bundle';
import { preprocess, type ModelToScan, type ScanImage } from '../clip/preprocess';
import type { Tokenized, Word } from '../clip/tokenizer';
import { checkAbort, cosine, ExplainCancelled, ExplainError, type Control, type Hidden } from './core';
import { checkLayer, scaledTextModel } from './graphs';
import { modelMapToScan, normalize, poolToGrid, upsampleBilinear, type NormalizeProblem } from './maps';
import { describeLimit, STEPS, withinLimit, type ParamGroup } from './methods';
import { imageMetrics, textConfidence } from './metrics';
import { ATTRIBUTORS, resolveParams, type Attributor, type ImageSide, type StreamInput, type TextSide } from './registry';
import { coverageWarning, reportWords, vocabularyCoverage } from './words';
import { mprt, type MprtSide } from './sanity';
import { int8Units } from '../runtime/int8-units';
import { negatedWarning, reportSentences } from './sentences';

export { ExplainCancelled, ExplainError };
export type { ExplanationCore };

export interface ExplainOptions {
  method: Method;
  layer?: number;
  steps?: number;
  target: Target;
  letterbox?: boolean;
  /** The arithmetic (default fp32): one of the method spec's precisions; int8 is recorded in params. */
  precision?: Precision;
  signal?: AbortSignal;
  onProgress?: (fraction: number, stage: string) => void;
  metrics?: boolean;
  /**
   * With the metrics, the image's deletion and insertion curves (default true). They cost 2·aucSteps − 1
   * image passes (ViT-B/32: 31, two thirds of an explanation with metrics); without them the metrics
   * are the paper's confidence drop and increase, one image and one text pass.
   */
  curves?: boolean;
  /**
   * Method-specific settings, by the option keys METHOD_SPECS declares (M2IB beta/iterations,
   * RISE masks, seed, batch, …; keys a method does not declare are ignored), and aucSteps for
   * the metrics. Checked against their limits; recorded in params where the spec says so.
   */
  extra?: Record<string, number>;
  /**
   * Run the model-parameter randomisation check (sanity.ts) on each explained side: costs one more
   * run of the method per layer re-drawn. `fromLayers` overrides the cascade's steps (the lowest
   * layer re-drawn at each; the layer count re-draws nothing).
   */
  sanity?: boolean | { seed?: number; fromLayers?: number[] };
  /** Image-side work kept across explanations of the same image with other texts (explainSentences). */
  shared?: SharedImageWork;
  /**
   * For a caller that explains once (the CLI): each side's derived graphs (tail, gradient) are
   * released as soon as its map is made, so the next side and the metrics do not run beside them
   * (ViT-B/32: the NIB graphs hold 125 MB of weights besides their working memory).
   */
  releaseGraphs?: boolean;
}

/**
 * What explaining one image against several texts computes once: the preprocessed image (per
 * letterbox choice) and the vision tower's run (per layer read). The tail and gradient sessions
 * are cached on the bundle already.
 */
export interface SharedImageWork {
  preprocessed: Map<string, ReturnType<typeof preprocess>>;
  vision: Map<string, ReturnType<ClipBundle['runVision']>>;
}

export function sharedImageWork(): SharedImageWork {
  return { preprocessed: new Map(), vision: new Map() };
}

export function defaultLayer(layers: number): number {
  return Math.floor((3 * layers) / 4);
}

/**
 * Builds NIB's graphs at the layer (both towers; from the disk cache when the bundle has one) and the
 * text metrics' graph ahead of the first explanation, which otherwise pays for them (seconds for a
 * ViT-B/32), then makes two whole explanations (without metrics) of a synthetic scan with them:
 * onnxruntime plans a session's memory from its first runs at a shape, and V8 compiles the
 * explanation's JavaScript on its first calls. ViT-B/32, eight fresh processes each, first image
 * map minus a warm one: one run of each graph alone, median 51 ms; one warm-up explanation, 26–37 ms;
 * two, 6 ms (−7 to 57). Metrics are not warmed: a warm-up of the curves at another batch made the
 * first real curves slower, not faster. Call after loading a bundle; safe to call twice, and an
 * explanation that arrives meanwhile waits for the same graphs rather than building them again.
 */
export async function prepareExplainer(bundle: ClipBundle, opts?: { layer?: number; metrics?: boolean; precision?: Precision }): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await explain(bundle, warmUpScan(bundle.imageSize), 'clear lungs', { method: 'nib', target: 'both', layer: opts?.layer, precision: opts?.precision, metrics: false });
  }
  if (opts?.metrics !== false) await scaledTextModel(bundle);
}

/** A smooth synthetic scan at the model's input size (no resampling work beyond the model's own). */
function warmUpScan(size: number): ScanImage {
  const pixels = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) pixels[y * size + x] = 100 + 50 * Math.sin(x / 9) * Math.cos(y / 13);
  return { width: size, height: size, channels: 1, pixels, window: null, invert: false };
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

/** The layer of the stream a side reads, if it reads one. */
function streamLayer(side: ImageSide | TextSide | null, layer: number): number | null {
  return side?.reads === 'layer' ? layer : side?.reads === 'embeddings' ? 0 : null;
}

interface Encoded {
  imageEmbeds: Float32Array;
  textEmbeds: Float32Array;
  vision: Hidden | null;
  text: Hidden | null;
}

/** Both towers once: the embeddings, and the streams the method's sides read. */
async function encode(bundle: ClipBundle, pixelValues: Float32Array, ids: number[], vLayer: number | null, tLayer: number | null, shared?: { work: SharedImageWork; key: string }): Promise<Encoded> {
  const runVision = () => bundle.runVision(pixelValues, 1, [bundle.vision.outputName, ...(vLayer === null ? [] : [bundle.vision.layerInputs[vLayer]])]);
  let vOut: Awaited<ReturnType<typeof runVision>>;
  if (shared) {
    const key = `${shared.key}:${vLayer}`;
    let p = shared.work.vision.get(key);
    if (!p) shared.work.vision.set(key, (p = runVision()));
    vOut = await p;
  } else vOut = await runVision();
  const tOut = await bundle.runText(ids, [bundle.text.outputName, ...(tLayer === null ? [] : [bundle.text.layerInputs[tLayer]])]);
  return {
    imageEmbeds: vOut[bundle.vision.outputName].data as Float32Array,
    textEmbeds: tOut[bundle.text.outputName].data as Float32Array,
    vision: vLayer === null ? null : streamOf('vision', vLayer, bundle, vOut),
    text: tLayer === null ? null : streamOf('text', tLayer, bundle, tOut),
  };
}

type SideInput = Omit<StreamInput, 'hidden' | 'ids'>;
// A side that reads a stream finds it in Encoded: encode() fetched it from the same `reads`.

/** Per-patch scores (CLS dropped), and the pixel-level map of the methods on the input. */
async function attributeImage(bundle: ClipBundle, side: ImageSide, input: SideInput, pixelValues: Float32Array, stream: Hidden | null): Promise<{ patch: Float64Array; pixel: Float64Array | null }> {
  if (side.reads === 'pixels') {
    const pixel = await side.run({ ...input, pixelValues });
    return { patch: Float64Array.from(poolToGrid(pixel, bundle.imageSize, bundle.imageSize, bundle.grid[0], bundle.grid[1])), pixel };
  }
  const scores = await side.run({ ...input, hidden: stream as Hidden, ids: null });
  // Every token after the non-patch prefix (CLS, registers) is a patch, row-major over the grid.
  return { patch: scores.slice(bundle.visionPrefix), pixel: null };
}

async function attributeText(side: TextSide, input: SideInput, ids: number[], stream: Hidden | null): Promise<Float64Array> {
  return side.reads === 'ids' ? side.run({ ...input, ids }) : side.run({ ...input, hidden: stream as Hidden, ids });
}

/** Grid → model-space map (PyTorch bilinear) → min-max → scan coordinates; no map when there is nothing to tell apart. */
function imageMap(bundle: ClipBundle, res: { patch: Float64Array; pixel: Float64Array | null }, transform: ModelToScan, caveat: () => string | null, warnings: string[]): { out: NonNullable<ExplanationCore['image']>; modelMap: Float64Array | null } {
  const [gh, gw] = bundle.grid;
  const n = normalize(res.pixel ?? upsampleBilinear(res.patch, gh, gw, transform.modelHeight, transform.modelWidth));
  const warning = n.problem ? IMAGE_PROBLEMS[n.problem] : caveat();
  if (warning) warnings.push(warning);
  return {
    out: { grid: [gh, gw], tokenScores: Array.from(res.patch), map: n.values ? modelMapToScan(n.values, transform) : { width: 0, height: 0, values: new Float32Array(0) } },
    modelMap: n.values,
  };
}

/** Tokens, then words (their tokens summed), each min-max normalized; nothing to tell apart → all 0 and a warning. */
function textScores(tok: Tokenized, words: Word[], scores: Float64Array, warnings: string[]): { out: NonNullable<ExplanationCore['text']>; tokenNorm: Float64Array | null } {
  const tn = normalize(scores);
  if (tn.problem) warnings.push(TOKEN_PROBLEMS[tn.problem]);
  const tokens: TokenScore[] = tok.tokens.map((t, i) => ({
    text: t.text, start: t.start, end: t.end, raw: scores[i], normalized: tn.values ? tn.values[i] : 0, special: t.special, ...(t.pad ? { pad: true as const } : {}),
  }));
  const wraw = words.map((g) => g.tokenIndices.reduce((s, i) => s + scores[i], 0));
  const wn = normalize(wraw);
  if (tn.values && wn.problem && words.length > 0) warnings.push(wordProblem(wn.problem, words.length));
  const wordScores: WordScore[] = words.map((g, k) => ({ text: g.text, start: g.start, end: g.end, raw: wraw[k], normalized: tn.values && wn.values ? wn.values[k] : 0 }));
  return { out: { tokens, words: wordScores }, tokenNorm: tn.values };
}

/** The paper's faithfulness metrics of what was drawn, and the image's deletion / insertion curves unless aucSteps is null. */
async function faithfulness(bundle: ClipBundle, pixelValues: Float32Array, tok: Tokenized, enc: Encoded, similarity: number, modelMap: Float64Array | null, tokenNorm: Float64Array | null, aucSteps: number | null, ctl: Control): Promise<Record<string, number>> {
  const metrics: Record<string, number> = {};
  checkAbort(ctl.signal);
  if (modelMap) {
    const im = await imageMetrics(bundle, pixelValues, modelMap, enc.textEmbeds, similarity, aucSteps, ctl, enc.imageEmbeds);
    metrics.vdrop = im.vdrop;
    metrics.vincr = im.vincr;
    if (im.curves) {
      metrics.deletionAuc = im.curves.deletion;
      metrics.insertionAuc = im.curves.insertion;
    }
  }
  if (tokenNorm) {
    const tc = await textConfidence(bundle, tok, tokenNorm, enc.imageEmbeds);
    if (tc) {
      metrics.tdrop = tc.tdrop;
      metrics.tincr = tc.tincr;
    }
  }
  return metrics;
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
  const precision = opts.precision ?? 'fp32';
  if (!(PRECISIONS as readonly string[]).includes(precision)) throw new ExplainError(`unknown precision "${String(precision)}" (choose one of ${PRECISIONS.join(', ')})`);
  if (!spec.precisions.includes(precision)) throw new ExplainError(`${spec.label} runs in ${spec.precisions.join(' or ')} only, not ${precision}`);
  const steps = opts.steps ?? STEPS.default;
  if (!withinLimit(STEPS, steps)) throw new ExplainError(`steps must be ${describeLimit(STEPS)} (got ${steps})`);
  const imageSide = opts.target !== 'text' ? attributor.image : null;
  const textSide = opts.target !== 'image' ? attributor.text : null;
  if (opts.target !== 'text' && !imageSide) throw new ExplainError(`${spec.label} does not explain the image: choose target text`);
  if (opts.target !== 'image' && !textSide) throw new ExplainError(`${spec.label} does not explain the text: choose target image`);
  const vLayer = opts.layer ?? defaultLayer(bundle.visionLayers);
  const tLayer = opts.layer ?? defaultLayer(bundle.textLayers);
  if (imageSide) checkLayer(bundle, 'vision', vLayer);
  if (textSide) checkLayer(bundle, 'text', tLayer);
  const extra = opts.extra ?? {};
  const signal = opts.signal;
  let stageBase = 0;
  const report = (stage: string, weight: number): Control['progress'] => (f: number) => opts.onProgress?.(Math.min(1, stageBase + weight * f), stage);
  const progress = (stage: string, f: number): void => opts.onProgress?.(f, stage);

  progress('preprocess', 0);
  checkAbort(signal);
  // The checks of the cached graphs the sides will open hash them beside preprocessing and encoding
  // (ViT-B/32 CLI: the image and text phases 0.04-0.05 s shorter each, measured).
  for (const [side, kind, layer] of [[imageSide, 'vision', vLayer], [textSide, 'text', tLayer]] as const) {
    const at = streamLayer(side, layer);
    if (side && 'ahead' in side && at !== null) void side.ahead?.(bundle, kind, at, precision).catch(() => undefined);
  }
  const letterbox = opts.letterbox ?? false;
  const prepKey = `letterbox:${letterbox}`;
  const prepared = opts.shared?.preprocessed.get(prepKey) ?? preprocess(bundle, image, { letterbox });
  opts.shared?.preprocessed.set(prepKey, prepared);
  const { pixelValues, transform } = prepared;
  const tok: Tokenized = bundle.tokenize(text);
  if (!tok.tokens.some((t) => !t.special)) throw new ExplainError('the report text has no words the tokenizer can read');
  if (tok.truncated) warnings.push(`the report is longer than the text model's ${bundle.contextLength} tokens: only the first part is explained`);
  const sentences = reportSentences(text);
  if (sentences.length === 1 && sentences[0].negated) warnings.push(negatedWarning(sentences[0].cue));
  const words = reportWords(text, tok.tokens);
  const coverage = coverageWarning(vocabularyCoverage(words, tok.tokens, bundle.tokenizer.unknownId));
  if (coverage) warnings.push(coverage);
  timings.preprocessMs = performance.now() - t0;

  progress('encode', 0.02);
  const tEnc = performance.now();
  const enc = await encode(bundle, pixelValues, tok.ids, streamLayer(imageSide, vLayer), streamLayer(textSide, tLayer), opts.shared && { work: opts.shared, key: prepKey });
  const similarity = cosine(enc.textEmbeds, enc.imageEmbeds);
  timings.encodeMs = performance.now() - tEnc;

  const params: ExplanationCore['params'] = { layer: imageSide ? vLayer : tLayer, steps, target: opts.target, letterbox };
  if (imageSide && textSide && vLayer !== tLayer) params.textLayer = tLayer;
  // fp32 is not written: every record made before the setting existed was fp32, and replays compare params.
  if (precision === 'int8') {
    const cpu = int8Units();
    params.precision = precision;
    params['int8.weightBits'] = cpu.weightBits;
    if (!cpu.fast) warnings.push('int8 was asked for, but this CPU has no integer dot-product units (VNNI, AMX) that onnxruntime uses: it runs with 7-bit weights (so that its 8-bit products cannot overflow) and is likely no faster than fp32');
  }
  const sideInput = (group: ParamGroup | null, target: Float32Array, ctl: Control): SideInput => {
    const { values, recorded } = resolveParams(spec, group, extra);
    Object.assign(params, recorded);
    return { bundle, target, steps, params: values, precision, ctl };
  };
  const wImage = imageSide ? (textSide ? 0.5 : 0.85) : 0;
  const wText = textSide ? (imageSide ? 0.3 : 0.85) : 0;
  stageBase = 0.05;

  let imageRes: { patch: Float64Array; pixel: Float64Array | null } | null = null;
  if (imageSide) {
    const tI = performance.now();
    imageRes = await attributeImage(bundle, imageSide, sideInput(spec.params.image, enc.textEmbeds, { signal, progress: report('image', wImage) }), pixelValues, enc.vision);
    timings.imageMs = performance.now() - tI;
    stageBase += wImage;
    if (opts.releaseGraphs) await releaseDerived(bundle);
  }
  let rawText: Float64Array | null = null;
  if (textSide) {
    const tT = performance.now();
    rawText = await attributeText(textSide, sideInput(spec.params.text, enc.imageEmbeds, { signal, progress: report('text', wText) }), tok.ids, enc.text);
    timings.textMs = performance.now() - tT;
    stageBase += wText;
    if (opts.releaseGraphs) await releaseDerived(bundle);
  }

  const imageOut = imageRes ? imageMap(bundle, imageRes, transform, () => attributor.imageCaveat?.(vLayer, bundle) ?? null, warnings) : null;
  const textOut = rawText ? textScores(tok, words, rawText, warnings) : null;

  let metrics: Record<string, number> = {};
  if (opts.metrics !== false) {
    const tM = performance.now();
    const ctl: Control = { signal, progress: report('metrics', 0.95 - stageBase) };
    metrics = await faithfulness(bundle, pixelValues, tok, enc, similarity, imageOut?.modelMap ?? null, textOut?.tokenNorm ?? null, opts.curves === false ? null : (extra.aucSteps ?? 16), ctl);
    timings.metricsMs = performance.now() - tM;
  }
  let sanity: ExplanationCore['sanity'];
  if (opts.sanity) {
    const tS = performance.now();
    const o = opts.sanity === true ? {} : opts.sanity;
    const check = (side: MprtSide) => mprt(bundle, side, { ...o, signal, progress: (f) => progress('sanity', 0.95 + 0.05 * f) });
    const wordRaw = (scores: Float64Array): number[] => words.map((g) => g.tokenIndices.reduce((s, i) => s + scores[i], 0));
    const image = imageSide && imageOut?.modelMap
      ? await check({
        kind: 'vision', layer: imageSide.reads === 'embeddings' ? 0 : vLayer, original: imageOut.out.tokenScores, shape: bundle.grid,
        rerun: async (b) => (await attributeImage(b, imageSide, { ...sideInput(spec.params.image, enc.textEmbeds, { signal }), bundle: b }, pixelValues, enc.vision)).patch,
      })
      : null;
    const text = textSide && rawText && textOut?.tokenNorm && words.length > 1
      ? await check({
        kind: 'text', layer: textSide.reads === 'embeddings' ? 0 : tLayer, original: wordRaw(rawText), shape: [1, words.length],
        rerun: async (b) => wordRaw(await attributeText(textSide, { ...sideInput(spec.params.text, enc.imageEmbeds, { signal }), bundle: b }, tok.ids, enc.text)),
      })
      : null;
    if ((imageSide && !image) || (textSide && !text)) warnings.push('the sanity check skips a side with no map to compare (a flat map, or a single word)');
    sanity = { image, text };
    timings.sanityMs = performance.now() - tS;
  }
  timings.totalMs = performance.now() - t0;
  progress('done', 1);
  return {
    method,
    params,
    similarity,
    model: { name: bundle.name, sha256: bundle.sha256 },
    provider: bundle.provider,
    image: imageOut?.out ?? null,
    text: textOut?.out ?? null,
    metrics,
    timings,
    warnings,
    ...(sanity ? { sanity } : {}),
  };
}

export type { ModelToScan };
