/**
 * Every attribution method behind one interface (as Captum puts every method behind one
 * `attribute()`): its spec from methods.ts (label, sides, settings with defaults and limits) paired
 * with a run function per side. explain() reads only this table, so a new method is one entry here
 * and one in METHOD_SPECS.
 */
import type { ClipBundle } from '../clip/bundle';
import {
  gradcamAttribution, igImage, m2ibAttribution, riseImage, riseText, saliencyImage, saliencyText, type M2ibParams, type RiseParams,
} from './baselines';
import { ExplainError, type Control, type Hidden } from './core';
import { describeLimit, METHOD_SPECS, paramOption, withinLimit, type MethodSpec, type ParamGroup } from './methods';
import { nibAttribution } from './nib';
import { nibGraphAhead } from './nib-graph';
import type { Method, Precision } from './types';

/** A side's settings: its ParamGroup's defaults, overridden by ExplainOptions.extra. */
export type ParamValues = Readonly<Record<string, number>>;

interface RunInput {
  bundle: ClipBundle;
  /** The other tower's embedding, held fixed: the similarity explained is cos(f(x), target). */
  target: Float32Array;
  steps: number;
  params: ParamValues;
  /** One of the method spec's precisions (explain() checks it). */
  precision: Precision;
  ctl: Control;
}

/** For sides that read a residual stream: the stream, and the token ids on the text side (null on the image side). */
export interface StreamInput extends RunInput {
  hidden: Hidden;
  ids: number[] | null;
}
export interface PixelInput extends RunInput {
  /** The preprocessed image, [3, S, S]. */
  pixelValues: Float32Array;
}
export interface TokenIdsInput extends RunInput {
  ids: number[];
}

/**
 * Where a side reads the model: the residual stream entering the chosen layer ('layer'), the
 * embeddings entering layer 0 ('embeddings'), the pixels or the token ids. A side that reads a
 * stream returns one score per token of it (the vision CLS token first where the model has one);
 * a side that reads pixels returns a map over the model input (S×S); one that reads ids, one
 * score per id.
 */
export type StreamSide = {
  reads: 'layer' | 'embeddings';
  run: (input: StreamInput) => Promise<Float64Array>;
  /** Starts what run will wait for and can begin before the stream exists (checks of cached graphs). */
  ahead?: (bundle: ClipBundle, kind: 'vision' | 'text', layer: number, precision: Precision) => Promise<void>;
};
export type ImageSide = StreamSide | { reads: 'pixels'; run: (input: PixelInput) => Promise<Float64Array> };
export type TextSide = StreamSide | { reads: 'ids'; run: (input: TokenIdsInput) => Promise<Float64Array> };

export interface Attributor {
  spec: MethodSpec;
  image: ImageSide | null;
  text: TextSide | null;
  /** A caution about this run's settings for the image map, or null. */
  imageCaveat?: (layer: number, bundle: ClipBundle) => string | null;
}

const nib: StreamSide = {
  reads: 'layer',
  ahead: nibGraphAhead,
  run: async (x) => (await nibAttribution(x.bundle, x.hidden, x.target, x.steps, x.ids, { ...x.ctl, maxBatch: x.params.batch, precision: x.precision })).scores,
};

const m2ib: StreamSide = {
  reads: 'layer',
  // The group's keys are M2ibParams' keys (registry test).
  run: (x) => m2ibAttribution(x.bundle, x.hidden, x.target, x.ids, x.params as M2ibParams, x.ctl),
};

const gradcam: StreamSide = { reads: 'layer', run: (x) => gradcamAttribution(x.bundle, x.hidden, x.target, x.ids, x.ctl) };

export const ATTRIBUTORS: Readonly<Record<Method, Attributor>> = {
  nib: {
    spec: METHOD_SPECS.nib,
    image: nib,
    text: nib,
    // At the last layer a pooled token sees the patches only through that layer's LayerNorm, which is
    // scale-invariant: their scores cancel to rounding noise. An attention-pooling head (SigLIP)
    // reads every token after the final LayerNorm instead, so its last layer is not degenerate.
    imageCaveat: (layer, bundle) =>
      layer === bundle.visionLayers - 1 && (bundle.vision.pooling.kind === 'token' || bundle.vision.pooling.kind === 'eos')
        ? `layer ${layer} is the last vision layer: patch scores there are near zero (rounding noise) for a pre-LayerNorm CLIP pooled at its CLS token; an earlier layer gives a meaningful map`
        : null,
  },
  m2ib: { spec: METHOD_SPECS.m2ib, image: m2ib, text: m2ib },
  gradcam: { spec: METHOD_SPECS.gradcam, image: gradcam, text: gradcam },
  rise: {
    spec: METHOD_SPECS.rise,
    image: { reads: 'pixels', run: (x) => riseImage(x.bundle, x.pixelValues, x.target, x.params as RiseParams, x.ctl) },
    text: { reads: 'ids', run: (x) => riseText(x.bundle, x.ids, x.target, x.params as RiseParams, x.ctl) },
  },
  saliency: {
    spec: METHOD_SPECS.saliency,
    image: { reads: 'pixels', run: (x) => saliencyImage(x.bundle, x.pixelValues, x.target, x.ctl) },
    text: { reads: 'embeddings', run: (x) => saliencyText(x.bundle, x.hidden, x.target, x.ids, x.ctl) },
  },
  ig: {
    spec: METHOD_SPECS.ig,
    image: { reads: 'pixels', run: (x) => igImage(x.bundle, x.pixelValues, x.target, x.steps, { ...x.ctl, maxBatch: x.params.batch }) },
    // On the embeddings, integrated gradients from the zero baseline are NIB's path integral at layer 0.
    text: { ...nib, reads: 'embeddings' },
  },
};

/**
 * A side's settings: each parameter of the group from `extra` (under its option key) or its
 * default, checked against its limits; and the entries it adds to Explanation.params.
 */
export function resolveParams(spec: MethodSpec, group: ParamGroup | null, extra: Readonly<Record<string, number>>): { values: ParamValues; recorded: Record<string, number> } {
  const values: Record<string, number> = {};
  const recorded: Record<string, number> = {};
  for (const [name, p] of Object.entries(group?.params ?? {})) {
    const option = paramOption(name, p);
    const given = extra[option];
    if (given !== undefined && !withinLimit(p, given)) throw new ExplainError(`${spec.label}: ${option} must be ${describeLimit(p)} (got ${given})`);
    values[name] = given ?? p.default;
    if (group?.record) recorded[`${group.record}.${name}`] = values[name];
  }
  return { values, recorded };
}
