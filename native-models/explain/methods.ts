/**
 * What each attribution method is, as data: its display name, the sides it explains, which of the
 * shared settings it reads, its own settings with their defaults and limits. The API contract, the
 * CLI's help and the UI read these; the registry (registry.ts) pairs each entry with its run
 * functions, and explain() applies the defaults and checks the limits. Pure data: importable by
 * the renderer.
 */
import type { Method, Precision } from './types';

export interface Limit {
  min: number;
  max: number;
  default: number;
  integer: boolean;
}

/** One method-specific setting. */
export interface ParamSpec extends Limit {
  /** One line for help texts. */
  summary: string;
  /**
   * The key of ExplainOptions.extra (and the CLI option, --kebab-case) that sets it, where that is
   * not its own name: two sides of one method can take the same setting with different defaults.
   */
  option?: string;
}

/** The settings one side of a method reads. */
export interface ParamGroup {
  /**
   * Prefix of their entries in Explanation.params (`m2ib.beta`), which recorded findings keep;
   * null for settings that do not change the result (a batch size), which are not recorded.
   */
  record: string | null;
  params: Readonly<Record<string, ParamSpec>>;
}

export interface MethodSpec {
  id: Method;
  /** The one display name, used by the selector, the result panel, the audit view and the PDF. */
  label: string;
  /** One line for help texts. */
  summary: string;
  sides: { image: boolean; text: boolean };
  /** Whether the method reads the layer setting (methods on the input ignore it). */
  usesLayer: boolean;
  /** Whether the method reads the steps setting. */
  usesSteps: boolean;
  /** The method's own settings per side (null: none). */
  params: { image: ParamGroup | null; text: ParamGroup | null };
  /** The arithmetic precisions it runs in, fp32 (the default) first. */
  precisions: readonly Precision[];
}

/** The integration steps every method that uses steps accepts (the paper's default is 10). */
export const STEPS: Limit = { min: 1, max: 200, default: 10, integer: true };
/** Layer indices accepted at the API; the model's own depth is checked when it runs. */
export const LAYER: Omit<Limit, 'default'> = { min: 0, max: 200, integer: true };

const SEED: ParamSpec = { min: 0, max: 4294967295, default: 0, integer: true, summary: 'seed of the random numbers' };

/** Steps per run of the tail+gradient graph: bounds memory; the scores are the same to float rounding. */
const STEP_BATCH: ParamGroup = {
  record: null,
  params: { batch: { min: 1, max: 256, default: 16, integer: true, summary: 'steps per run of the gradient graph (bounds memory; the scores stay the same)' } },
};

/** The same for the whole-image gradient graph, whose batches weigh more. */
const PIXEL_STEP_BATCH: ParamGroup = {
  record: null,
  params: { batch: { min: 1, max: 64, default: 8, integer: true, summary: 'steps per run of the image gradient graph (bounds memory; the scores stay the same)' } },
};

/** M2IB's settings, as the authors' defaults (YingWANGG/M2IB): the same on both sides. */
const M2IB: ParamGroup = {
  record: 'm2ib',
  params: {
    beta: { min: 0, max: 100, default: 0.1, integer: false, summary: 'weight of the capacity term in the loss' },
    iterations: { min: 0, max: 1000, default: 10, integer: true, summary: 'Adam iterations of the bottleneck' },
    lr: { min: 0, max: 100, default: 1, integer: false, summary: 'Adam learning rate' },
    batch: { min: 1, max: 256, default: 10, integer: true, summary: 'noise samples per iteration' },
    seed: SEED,
  },
};

const MASK_CELLS: ParamSpec = { min: 1, max: 64, default: 8, integer: true, summary: 'cells per side of the low-resolution masks' };
const MASK_P: ParamSpec = { min: 0.01, max: 1, default: 0.1, integer: false, summary: 'probability that a mask cell is kept' };

const RISE_IMAGE: ParamGroup = {
  record: 'rise',
  params: {
    masks: { min: 1, max: 100000, default: 500, integer: true, summary: 'random masks over the image' },
    cells: MASK_CELLS,
    p: MASK_P,
    seed: SEED,
    batch: { min: 1, max: 1000, default: 25, integer: true, summary: 'masked images per run of the vision tower' },
  },
};

const RISE_TEXT: ParamGroup = {
  record: 'riseText',
  params: {
    masks: { min: 1, max: 100000, default: 200, integer: true, summary: 'random masks over the tokens', option: 'textMasks' },
    cells: MASK_CELLS,
    p: MASK_P,
    seed: SEED,
    batch: { min: 1, max: 1000, default: 50, integer: true, summary: 'masked texts per run of the text tower', option: 'textBatch' },
  },
};

const FP32_ONLY: readonly Precision[] = ['fp32'];

/** What int8 means and where it helps, for help texts and the settings panel. */
export const INT8_SUMMARY = 'int8 weight products in the tail+gradient graph (opt-in; the default is fp32): faster only on CPUs with integer dot-product units (AVX-512 VNNI, AMX); the map agrees with fp32 closely but not exactly, and the explanation records the precision';

export const METHOD_SPECS: Readonly<Record<Method, MethodSpec>> = {
  nib: {
    id: 'nib', label: 'NIB', summary: 'Narrowing Information Bottleneck (the paper’s method): h ⊙ ∂cos/∂x along x = h·i/n at layer L',
    sides: { image: true, text: true }, usesLayer: true, usesSteps: true, params: { image: STEP_BATCH, text: STEP_BATCH }, precisions: ['fp32', 'int8'],
  },
  m2ib: {
    id: 'm2ib', label: 'M2IB', summary: 'Multi-modal information bottleneck: a learned per-element bottleneck at layer L',
    sides: { image: true, text: true }, usesLayer: true, usesSteps: false, params: { image: M2IB, text: M2IB }, precisions: FP32_ONLY,
  },
  gradcam: {
    id: 'gradcam', label: 'Grad-CAM', summary: 'ReLU(Σ h ⊙ ∂cos/∂h) on the layer-L tokens',
    sides: { image: true, text: true }, usesLayer: true, usesSteps: false, params: { image: null, text: null }, precisions: FP32_ONLY,
  },
  rise: {
    id: 'rise', label: 'RISE', summary: 'Random masks, weighted by the similarity they leave',
    sides: { image: true, text: true }, usesLayer: false, usesSteps: false, params: { image: RISE_IMAGE, text: RISE_TEXT }, precisions: FP32_ONLY,
  },
  saliency: {
    id: 'saliency', label: 'Saliency', summary: '|∂cos/∂input| (image pixels, text embeddings)',
    sides: { image: true, text: true }, usesLayer: false, usesSteps: false, params: { image: null, text: null }, precisions: FP32_ONLY,
  },
  ig: {
    id: 'ig', label: 'Integrated gradients', summary: 'Integrated gradients on the input from a zero baseline',
    sides: { image: true, text: true }, usesLayer: false, usesSteps: true, params: { image: PIXEL_STEP_BATCH, text: STEP_BATCH }, precisions: FP32_ONLY,
  },
};

export function methodLabel(method: string): string {
  return (METHOD_SPECS as Record<string, MethodSpec | undefined>)[method]?.label ?? method;
}

/** The key that sets a parameter in ExplainOptions.extra. */
export function paramOption(name: string, spec: ParamSpec): string {
  return spec.option ?? name;
}

/** Whether a value lies within a limit. */
export function withinLimit(limit: Omit<Limit, 'default'>, value: number): boolean {
  return Number.isFinite(value) && value >= limit.min && value <= limit.max && (!limit.integer || Number.isInteger(value));
}

/** "an integer 1–200" / "a number 0.01–1": what a limit accepts, for messages and help. */
export function describeLimit(limit: Omit<Limit, 'default'>): string {
  return `${limit.integer ? 'an integer' : 'a number'} ${limit.min}–${limit.max}`;
}
