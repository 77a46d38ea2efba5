/**
 * What the explain room produces: the methods it offers and the Explanation a run returns.
 * Pure types and constants (no onnxruntime), so the API contract and the renderer can share them.
 */

export const METHODS = ['nib', 'm2ib', 'gradcam', 'rise', 'saliency', 'ig'] as const;
export type Method = (typeof METHODS)[number];

/**
 * The arithmetic of a method's model runs: fp32, or (opt-in, NIB only) int8 weight products in the
 * tail+gradient graph, faster on CPUs with integer dot-product units (VNNI, AMX) and close to fp32.
 */
export const PRECISIONS = ['fp32', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];

export type Target = 'image' | 'text' | 'both';
export const TARGETS: readonly Target[] = ['image', 'text', 'both'];

/** One token of the text model's input, with its character span in the explained text (null for special tokens). */
export interface TokenScore {
  text: string;
  start: number | null;
  end: number | null;
  raw: number;
  normalized: number;
  special: boolean;
  /** A position the tokenizer's fixed-length padding added (SigLIP): scored like any position, never a word. */
  pad?: true;
}

/** One word of the report (its tokens merged), with its character span. */
export interface WordScore {
  text: string;
  start: number;
  end: number;
  raw: number;
  normalized: number;
}

export interface ExplanationParams {
  layer: number;
  steps: number;
  target: Target;
  [k: string]: number | string | boolean;
}

/**
 * Model-parameter randomisation (MPRT, Adebayo et al. 2018), one explained side: the tower's encoder
 * layers re-drawn from the top down to the explained layer, one more per step, and the same method
 * run again. A map that does not change when the weights it should depend on are destroyed does not
 * explain the model.
 */
export interface SanityCheck {
  test: 'mprt';
  seed: number;
  /** The layer the method explains (the cascade stops there). */
  explainedLayer: number;
  /** Step i re-draws the layers from layers[i] to the top: [top, top − 1, …, explainedLayer]. */
  layers: number[];
  /** Spearman's ρ between the original scores (patches; words) and each step's; 1 = the same ranking. */
  spearman: number[];
  /** SSIM of the min-max normalised patch grid (text: the word sequence) against each step's. */
  ssim: number[];
  /** The rule: passed when spearman[0] (the top layer re-drawn) is below this. */
  threshold: number;
  passed: boolean;
}

/** Everything needed to redraw an explanation and to audit it later. */
export interface Explanation {
  id: string;
  method: Method;
  params: ExplanationParams;
  similarity: number;
  model: { name: string; sha256: string };
  input: { scanSha256: string; frame: number; text: string; textSha256: string };
  provider: string;
  image: {
    grid: [number, number];
    tokenScores: number[];
    /** Normalized [0,1] map in scan coordinates (width × height of the map, row-major). */
    map: { width: number; height: number; values: Float32Array };
  } | null;
  text: { tokens: TokenScore[]; words: WordScore[] } | null;
  metrics: Record<string, number>;
  timings: Record<string, number>;
  warnings: string[];
  /** Present when the sanity check was asked for (records made before it have none). */
  sanity?: { image: SanityCheck | null; text: SanityCheck | null };
}

/** An explanation before the caller adds its id and what identifies the input. */
export type ExplanationCore = Omit<Explanation, 'id' | 'input'>;

/**
 * A region the reader marks on the scan, in scan pixel coordinates (x right, y down, the pixel
 * (i, j) covering [i, i+1) × [j, j+1)): a box, or a freehand outline closed back to its first point.
 */
export type Region =
  | { kind: 'box'; x: number; y: number; width: number; height: number }
  | { kind: 'outline'; points: [number, number][] };

/**
 * How well a map agrees with a region (native-models/explain/localisation.ts). Pointing games
 * are 1 (hit) or 0 (miss) so that means over many maps are rates.
 */
export interface LocalisationMetrics {
  /** 1 when the map's maximum lies inside the region. */
  pointingGame: number;
  /** 1 when the map's maximum lies within `tolerancePx` scan pixels of the region. */
  pointingGameTolerant: number;
  /** Share of the map's total relevance inside the region (Arras et al.). */
  relevanceMass: number;
  /** Of the K highest map pixels, K the region's size on the map, the share inside the region (Arras et al.). */
  relevanceRankAccuracy: number;
  /** IoU of the map's top `topPercent` % pixels with the region. */
  iouTop: number;
  topPercent: number;
  /** The pointing game's tolerance in scan pixels (half a patch of the model). */
  tolerancePx: number;
  /** The region's share of the map's pixels: what a uniform map's relevance mass would be. */
  regionFraction: number;
}
