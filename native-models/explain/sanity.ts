/**
 * The model-parameter randomisation test (MPRT; Adebayo et al. 2018, Quantus' MPRT), cascading:
 * the explained tower's encoder layers are re-drawn from the top down to the explained layer, one
 * more per step (randomize-layers.ts), and the same method runs again on each copy. The copies are
 * built once per bundle, tower, layer and seed and cached on the bundle like the other derived
 * graphs (their own tail and gradient graphs are cached on them).
 */
import * as ort from 'onnxruntime-node';
import { runTower, type ClipBundle, type Releasable, type Tower } from '../clip/bundle';
import { createSession, exposeTensors, serializeModel } from '../clip/engine';
import { checkAbort, ExplainError } from './core';
import { cached, providerOf } from './graphs';
import { spearman, ssim } from './map-similarity';
import { randomizeBetween } from './randomize-layers';
import type { SanityCheck } from './types';

export const SANITY_SEED = 20180927;

/**
 * The rule: the check fails when the ranking of the scores survives re-drawing the top layer with
 * ρ ≥ 0.5. The top layer is the least a map explaining layer L ≤ top must depend on; the literature's
 * failing methods (edge detectors, guided backprop) keep ρ near 1 there, while on the demo model
 * NIB's image map falls to ≈ 0 (README, "Sanity check"). 0.5 leaves room on both sides: half the
 * ranking would still be explained by the input alone.
 */
export const SANITY_THRESHOLD = 0.5;

type Kind = 'vision' | 'text';

/** A bundle whose `kind` tower has layers from..top re-drawn; `from` = the layer count re-draws nothing. */
export function randomizedBundle(bundle: ClipBundle, kind: Kind, from: number, seed: number): Promise<ClipBundle & Releasable> {
  return cached(bundle, `mprt:${kind}:${from}:${seed}`, async () => {
    const tower: Tower = bundle[kind];
    if (!Number.isInteger(from) || from < 0 || from > tower.layers) throw new ExplainError(`${tower.file}: cannot re-draw from layer ${from} (the ${kind} tower has ${tower.layers} layers)`);
    const r = randomizeBetween(tower.model, tower.layerInputs[from], tower.layerInputs[tower.layers], seed);
    if (from < tower.layers && r.tensors.length === 0) throw new ExplainError(`${tower.file}: found no float weights in layers ${from}–${tower.layers - 1} to re-draw for the sanity check`);
    const info = await createSession(serializeModel(exposeTensors(r.model, tower.layerInputs)), { prefer: providerOf(bundle) });
    const copy: Tower = { ...tower, model: r.model, session: info.session };
    const cache = new Map<string, Promise<Releasable>>();
    const S = bundle.imageSize;
    const derived: ClipBundle & Releasable = {
      ...bundle,
      [kind]: copy,
      sha256: `${bundle.sha256}/mprt-${kind}-${from}-${seed}`,
      cache,
      runVision: kind === 'vision' ? (px, batch, fetch) => runTower(copy, new ort.Tensor('float32', px, [batch, 3, S, S]), fetch, null) : bundle.runVision,
      runText: kind === 'text' ? (ids, fetch) => runTower(copy, null, fetch, ids) : bundle.runText,
      async embedImages(px, batch) {
        const out = await derived.runVision(px, batch, [derived.vision.outputName]);
        return out[derived.vision.outputName].data as Float32Array;
      },
      async embedTexts(texts) {
        const dim = bundle.projectionDim;
        const res = new Float32Array(texts.length * dim);
        for (let i = 0; i < texts.length; i++) res.set((await derived.runText(bundle.tokenize(texts[i]).ids, [derived.text.outputName]))[derived.text.outputName].data as Float32Array, i * dim);
        return res;
      },
      async release() {
        for (const p of cache.values()) await (await p).release().catch(() => undefined);
        cache.clear();
        await info.session.release();
      },
      async dispose() {
        await derived.release();
      },
    };
    return derived;
  });
}

export interface MprtSide {
  kind: Kind;
  /** The layer the method explains; the cascade re-draws from the top down to it. */
  layer: number;
  /** The scores compared (patches row-major on `shape`; the text's words as one row). */
  original: ArrayLike<number>;
  shape: [number, number];
  /** The same method's scores of the same kind, on a bundle with re-drawn weights. */
  rerun: (bundle: ClipBundle) => Promise<ArrayLike<number>>;
}

/** A map with no ranking left (constant after re-drawing) shares none with the original: ρ = 0. */
function rho(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const r = spearman(a, b);
  return Number.isFinite(r) ? r : 0;
}

function ssimOrZero(a: ArrayLike<number>, b: ArrayLike<number>, shape: [number, number]): number {
  const s = ssim(a, b, shape[0], shape[1]);
  return Number.isFinite(s) ? s : 0;
}

/**
 * The cascade for one side. `fromLayers` overrides the steps (the lowest layer re-drawn at each;
 * the layer count = nothing re-drawn, which must give ρ = SSIM = 1 exactly).
 */
export async function mprt(bundle: ClipBundle, side: MprtSide, opts: { seed?: number; signal?: AbortSignal; fromLayers?: number[]; progress?: (f: number) => void } = {}): Promise<SanityCheck> {
  const seed = opts.seed ?? SANITY_SEED;
  const top = bundle[side.kind].layers - 1;
  const layers = opts.fromLayers ?? Array.from({ length: top - side.layer + 1 }, (_, i) => top - i);
  const spearmans: number[] = [];
  const ssims: number[] = [];
  for (const [i, from] of layers.entries()) {
    checkAbort(opts.signal);
    const scores = await side.rerun(await randomizedBundle(bundle, side.kind, from, seed));
    spearmans.push(rho(side.original, scores));
    ssims.push(ssimOrZero(side.original, scores, side.shape));
    opts.progress?.((i + 1) / layers.length);
  }
  return { test: 'mprt', seed, explainedLayer: side.layer, layers, spearman: spearmans, ssim: ssims, threshold: SANITY_THRESHOLD, passed: spearmans.length > 0 && spearmans[0] < SANITY_THRESHOLD };
}
