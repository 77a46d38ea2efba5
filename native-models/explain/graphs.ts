/**
 * Derived graphs, built once per bundle and cached on it:
 * - the tail after the cut at layer L plus its gradient (NIB, M2IB, Grad-CAM, text saliency/IG);
 * - the vision tower with its gradient w.r.t. pixel_values (image saliency / IG);
 * - the text tower with a per-position scale on the token embeddings (text metrics, RISE).
 */
import * as ort from 'onnxruntime-node';
import { BundleError, textFeeds as towerFeeds, type ClipBundle, type Tower } from '../clip/bundle';
import { TOKEN_SCALE } from '../clip/tower';
import { appendCosineObjective, buildGradientModel, createSession, extractSubgraph, serializeModel, type ModelProto } from '../clip/engine';
import { pooledRowAttention } from './pooled-attention';
import { specializeLastLayer } from './specialize';
import { fuseTransposedWeights } from '../onnx/ort-fusion';
import type { CacheKeyParts, GraphForm } from '../runtime/graph-cache';
import type { SessionOptions } from '../runtime/session';

let specialize = process.env.CANDOR_NO_SPECIALIZE !== '1';
/** Turns the vision last-layer specialization on or off (for benchmarks and checks). */
export function setLastLayerSpecialization(on: boolean): void {
  specialize = on;
}

export interface GradGraph {
  session: ort.InferenceSession;
  /** Name of the input the gradient is taken w.r.t. */
  wrt: string;
  grad: string;
  similarity: string;
  tower: Tower;
  /**
   * Tail with the last layer computed for the pooled row only (undefined: not tried): by the
   * reassociated attention, or by slicing the row after the key/value projections.
   */
  specialized?: { applied: boolean; reason: string | null; via?: 'reassociated attention' | 'row slice' };
  /** The model the tail was cut from (the tower's, or its specialized form); made again on demand when the graph came from the disk cache. */
  base(): Promise<ModelProto>;
  /** NIB's graph with the cut layer's projections folded (nib-graph.ts): the input that takes h, [1, T, D]. */
  direction?: string;
  /** Whether that fold applies here, and if not why (undefined: not tried). */
  folded?: { applied: boolean; reason: string | null };
  release(): Promise<void>;
}

export function cached<T extends { release(): Promise<void> }>(bundle: ClipBundle, key: string, build: () => Promise<T>): Promise<T> {
  let p = bundle.cache.get(key) as Promise<T> | undefined;
  if (!p) {
    p = build();
    bundle.cache.set(key, p);
    // A failed build is not cached, so a later call can retry.
    p.catch(() => bundle.cache.delete(key));
  }
  return p;
}

/** Where a derived graph runs: on the CPU where the bundle fell back to it, else where the towers run. */
export function providerOf(bundle: ClipBundle): 'cpu' | 'auto' {
  return bundle.provider === 'cpu' ? 'cpu' : 'auto';
}

/**
 * How an fp32 gradient graph's session is made. Without pre-packed weights (`bundle.gradientPrepack`
 * false, the CLI's one explanation) a session is created faster and holds its weights once, and each
 * run packs them itself. Measured (npm run bench startup, 2-core AMD EPYC, idle, two rows each):
 * ViT-B/32 first image map in a fresh process 0.52–0.57 → 0.45 s, peak RSS −110 MiB, warm map
 * 0.16–0.17 → 0.18 s; ViT-B/16 warm map 0.70 → 0.82 s. So a process that explains many times packs.
 */
export function gradientSession(bundle: ClipBundle): SessionOptions {
  return { prefer: providerOf(bundle), prepack: bundle.gradientPrepack };
}

/**
 * A derived graph's session: from the bundle's disk cache when it holds the graph (no derivation),
 * else derived, and its bytes stored for the next process. `derive` returns the session it made
 * (derivations validate a graph by running it) with the bytes and what to record about it.
 */
export async function diskCached<M>(bundle: ClipBundle, parts: CacheKeyParts, derive: () => Promise<{ session: ort.InferenceSession; bytes: Uint8Array | null; meta: M }>, options: SessionOptions = gradientSession(bundle)): Promise<{ session: ort.InferenceSession; meta: M; fromDisk: boolean }> {
  const disk = bundle.graphCache;
  const key = diskKey(bundle, parts);
  // A graph this onnxruntime cannot load after all is a miss: derived again (and the entry overwritten).
  const load = async (file: string, form: GraphForm): Promise<ort.InferenceSession> => (await createSession(file, { ...options, ...form })).session;
  const hit = disk ? await disk.open<M, ort.InferenceSession>(key, load, (s) => s.release(), { optimize: bundle.provider === 'cpu' }) : null;
  if (hit) return { session: hit.value, meta: hit.meta, fromDisk: true };
  const t0 = performance.now();
  const made = await derive();
  if (disk) disk.stats.deriveMs += performance.now() - t0;
  if (disk && made.bytes) disk.put(key, made.bytes, made.meta);
  return { session: made.session, meta: made.meta, fromDisk: false };
}

function diskKey(bundle: ClipBundle, parts: CacheKeyParts): CacheKeyParts {
  return { model: bundle.sha256, provider: bundle.provider, ...parts };
}

/**
 * Starts checking the disk cache's entry that diskCached(bundle, parts) will open
 * (GraphCache.verifyAhead), unless the graph is already made; settles once the hashes are done.
 */
export async function verifyGraphAhead(bundle: ClipBundle, memoKey: string, parts: CacheKeyParts): Promise<void> {
  if (!bundle.cache.has(memoKey)) await bundle.graphCache?.verifyAhead(diskKey(bundle, parts));
}

/**
 * Made on demand and held only weakly: a model derived from the tower's shares its weights, and a
 * strong reference kept with a cached graph would keep the whole parsed model in memory.
 */
function weakLazy<T extends object>(make: () => Promise<T>, first: T | null = null): () => Promise<T> {
  let ref = first ? new WeakRef(first) : null;
  return async () => {
    const held = ref?.deref();
    if (held) return held;
    const made = await make();
    ref = new WeakRef(made);
    return made;
  };
}

export function checkLayer(bundle: ClipBundle, kind: 'vision' | 'text', layer: number): void {
  const n = kind === 'vision' ? bundle.visionLayers : bundle.textLayers;
  if (!Number.isInteger(layer) || layer < 0 || layer >= n) {
    throw new BundleError(`layer ${layer} is out of range for the ${kind} tower of ${bundle.name}: it has ${n} layers, so the layer must be 0–${n - 1}`);
  }
}

/** Feeds shared by every run of a text graph: ids (attention mask, token types) repeated over the batch. */
export function textFeeds(session: ort.InferenceSession, tower: Tower, ids: readonly number[], batch: number): Record<string, ort.Tensor> {
  return towerFeeds(session.inputNames, tower, ids, batch);
}

type TailProbe = { probe: Record<string, ort.Tensor>; embeds: Float32Array };

/** Probes already run, per bundle: a NIB graph's derivation needs its tail's probe twice (the tail, then its fold). */
const probes = new WeakMap<ClipBundle, Map<string, Promise<TailProbe>>>();

/**
 * A real probe (batch 2) so the engine can read concrete shapes, plus the tower's embeddings for it;
 * run once per bundle and tensor (the caller must not change what it gets).
 */
export function tailProbe(bundle: ClipBundle, kind: 'vision' | 'text', h: string): Promise<TailProbe> {
  let held = probes.get(bundle);
  if (!held) probes.set(bundle, (held = new Map()));
  const key = `${kind}\0${h}`;
  let p = held.get(key);
  if (!p) {
    p = runTailProbe(bundle, kind, h);
    held.set(key, p);
    p.catch(() => held.delete(key));
  }
  return p;
}

async function runTailProbe(bundle: ClipBundle, kind: 'vision' | 'text', h: string): Promise<TailProbe> {
  const tower = kind === 'vision' ? bundle.vision : bundle.text;
  const probe: Record<string, ort.Tensor> = {};
  let embeds: Float32Array;
  if (kind === 'vision') {
    const S = bundle.imageSize;
    const px = Float32Array.from({ length: 2 * 3 * S * S }, (_, i) => Math.sin(i * 0.37) * 1.5);
    const out = await bundle.runVision(px, 2, [h, tower.outputName]);
    probe[h] = out[h];
    embeds = out[tower.outputName].data as Float32Array;
  } else {
    const ids = bundle.tokenize('a').ids;
    const out = await bundle.runText(ids, [h, tower.outputName]);
    const one = out[h];
    const d = one.data as Float32Array;
    const two = new Float32Array(d.length * 2);
    two.set(d);
    two.set(d, d.length);
    probe[h] = new ort.Tensor('float32', two, [2, ...one.dims.slice(1)]);
    const e = out[tower.outputName].data as Float32Array;
    embeds = new Float32Array(e.length * 2);
    embeds.set(e);
    embeds.set(e, e.length);
    Object.assign(probe, towerFeeds([tower.inputName, ...tower.extraInputs], tower, ids, 2));
  }
  probe.target_embeds = new ort.Tensor('float32', new Float32Array(2 * bundle.projectionDim).fill(0.1), [2, bundle.projectionDim]);
  return { probe, embeds };
}

export function cutTail(base: ModelProto, tower: Tower, h: string): ModelProto {
  return extractSubgraph(base, { inputs: [h], outputs: [tower.outputName] });
}

/** A tail (cut at `h`) with the cosine objective and its gradient w.r.t. `h`, serialized. */
export async function tailGradientModel(tail: ModelProto, tower: Tower, h: string, probe: Record<string, ort.Tensor>): Promise<Uint8Array> {
  const withObjective = appendCosineObjective(tail, { embedding: tower.outputName });
  // The tail takes only some of the tower's inputs (a BERT tail: the attention mask, not the token types).
  const takes = new Set((withObjective.graph?.input ?? []).map((i) => i.name));
  const feeds = Object.fromEntries(Object.entries(probe).filter(([k]) => takes.has(k)));
  // Lowered for onnxruntime (ort-fusion.ts): the backward products read each weight through transB, so a session holds it once.
  return serializeModel(fuseTransposedWeights(await buildGradientModel(withObjective, { objective: 'objective', wrt: [h], probe: feeds })).model);
}

function specializedBase(tower: Tower): { model: ModelProto | null; reason: string | null } {
  const n = tower.layers;
  if (tower.pooling.kind !== 'token') return { model: null, reason: 'the embedding does not read one fixed row' };
  return specializeLastLayer(tower.model, tower.layerInputs[n - 1], tower.layerInputs[n], tower.pooling.index);
}

function pooledAttentionBase(tower: Tower): Promise<{ model: ModelProto | null; reason: string | null }> {
  const n = tower.layers;
  if (tower.pooling.kind !== 'token') return Promise.resolve({ model: null, reason: 'the embedding does not read one fixed row' });
  return pooledRowAttention(tower.model, tower.layerInputs[n - 1], tower.layerInputs[n], tower.pooling.index, tower.tokens);
}

/** Runs a candidate tail on the probe and compares its embeddings with the model's. */
async function embeddingDifference(session: ort.InferenceSession, probe: Record<string, ort.Tensor>, output: string, expected: Float32Array): Promise<{ ok: boolean; max: number }> {
  const out = await session.run(Object.fromEntries(Object.entries(probe).filter(([k]) => session.inputNames.includes(k))), [output]);
  const got = out[output].data as Float32Array;
  let max = 0, scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    max = Math.max(max, Math.abs(got[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return { ok: got.length === expected.length && max <= 1e-4 * scale, max };
}

/**
 * Whether the tail at `layer` is tried with the last layer computed for the pooled row alone: the
 * embedding must read one fixed row (CLS, the last position), and the cut must lie before the last
 * layer (the pattern search expects that layer inside the graph).
 */
export function specializes(bundle: ClipBundle, kind: 'vision' | 'text', layer: number): boolean {
  const tower = kind === 'vision' ? bundle.vision : bundle.text;
  return specialize && tower.pooling.kind === 'token' && layer < tower.layers - 1;
}

/**
 * The tail+gradient model as onnxruntime runs it for NIB (vision: with the last-layer
 * specialization when it applies), for profiling; its feeds are `h` [batch, T, D] and
 * `target_embeds` [batch, projection].
 */
export async function tailGradientBytes(bundle: ClipBundle, kind: 'vision' | 'text', layer: number): Promise<{ bytes: Uint8Array; wrt: string }> {
  checkLayer(bundle, kind, layer);
  const tower = kind === 'vision' ? bundle.vision : bundle.text;
  const h = tower.layerInputs[layer];
  const { probe } = await tailProbe(bundle, kind, h);
  const special = specializes(bundle, kind, layer) ? ((await pooledAttentionBase(tower)).model ?? specializedBase(tower).model) : null;
  return { bytes: await tailGradientModel(cutTail(special ?? tower.model, tower, h), tower, h, probe), wrt: h };
}

function tailVariant(bundle: ClipBundle, kind: 'vision' | 'text', layer: number): 'pooled-row' | 'plain' {
  return specializes(bundle, kind, layer) ? 'pooled-row' : 'plain';
}

/** Where the bundle holds the tail+gradient graph at a layer. */
function tailKey(bundle: ClipBundle, kind: 'vision' | 'text', layer: number): string {
  return `tail:${kind}:${layer}:${tailVariant(bundle, kind, layer)}`;
}

/** Whether the bundle holds the tail+gradient graph at this layer (tailGradient's, shared by its callers). */
export function holdsTailGradient(bundle: ClipBundle, kind: 'vision' | 'text', layer: number): boolean {
  return bundle.cache.has(tailKey(bundle, kind, layer));
}

/** The tail+gradient graph at a layer, held by the bundle for every caller (released with it). */
export function tailGradient(bundle: ClipBundle, kind: 'vision' | 'text', layer: number): Promise<GradGraph> {
  checkLayer(bundle, kind, layer);
  return cached(bundle, tailKey(bundle, kind, layer), () => ownTailGradient(bundle, kind, layer));
}

/** The same graph, not held by the bundle: the caller releases it. */
export async function ownTailGradient(bundle: ClipBundle, kind: 'vision' | 'text', layer: number): Promise<GradGraph> {
  checkLayer(bundle, kind, layer);
  const variant = tailVariant(bundle, kind, layer);
  const special = variant === 'pooled-row';
  const tower = kind === 'vision' ? bundle.vision : bundle.text;
  const h = tower.layerInputs[layer];
  let base: ModelProto | null = null;
  const { session, meta } = await diskCached(bundle, { graph: 'tail-gradient', kind, layer, variant }, async () => {
    const { probe, embeds: probeEmb } = await tailProbe(bundle, kind, h);
    const build = async (from: ModelProto): Promise<{ session: ort.InferenceSession; bytes: Uint8Array }> => {
      const bytes = await tailGradientModel(cutTail(from, tower, h), tower, h, probe);
      return { session: (await createSession(bytes, gradientSession(bundle))).session, bytes };
    };
    let built: { session: ort.InferenceSession; bytes: Uint8Array } | null = null;
    let specialized: GradGraph['specialized'];
    if (special) {
      // The reassociated attention first (no key/value projections for the other tokens), then the
      // row slice; each must reproduce the model's embeddings on the probe, else the plain tail runs.
      const reasons: string[] = [];
      let via: 'reassociated attention' | 'row slice' | undefined;
      const candidates = [['reassociated attention', () => pooledAttentionBase(tower)], ['row slice', async () => specializedBase(tower)]] as const;
      for (const [name, candidate] of candidates) {
        const s = await candidate();
        if (!s.model) {
          reasons.push(s.reason ?? 'not applicable');
          continue;
        }
        try {
          const cand = await build(s.model);
          const diff = await embeddingDifference(cand.session, probe, tower.outputName, probeEmb);
          if (diff.ok) {
            built = cand;
            via = name;
            base = s.model;
            break;
          }
          reasons.push(`the specialized graph disagrees with the model (max difference ${diff.max})`);
          await cand.session.release();
        } catch (e) {
          // another export pattern: try the next, else keep the plain tail
          reasons.push((e as Error).message);
        }
      }
      specialized = built ? { applied: true, reason: null, via } : { applied: false, reason: reasons.join('; ') };
    }
    built ??= await build(tower.model);
    return { session: built.session, bytes: built.bytes, meta: { specialized: specialized ?? null } };
  });
  const specialized = meta.specialized ?? undefined;
  const baseOf = weakLazy(async () => {
    if (!specialized?.applied) return tower.model;
    const s = specialized.via === 'row slice' ? specializedBase(tower) : await pooledAttentionBase(tower);
    return s.model ?? tower.model;
  }, base);
  base = null;
  return { session, wrt: h, grad: `grad:${h}`, similarity: 'similarity', tower, specialized, base: baseOf, release: () => session.release() };
}

export function visionInputGradient(bundle: ClipBundle): Promise<GradGraph> {
  return cached(bundle, 'input-grad:vision', async () => {
    const tower = bundle.vision;
    const S = bundle.imageSize;
    const probe: Record<string, ort.Tensor> = {
      [tower.inputName]: new ort.Tensor('float32', new Float32Array(2 * 3 * S * S), [2, 3, S, S]),
      target_embeds: new ort.Tensor('float32', new Float32Array(2 * bundle.projectionDim).fill(0.1), [2, bundle.projectionDim]),
    };
    const { session } = await diskCached(bundle, { graph: 'input-gradient', kind: 'vision' }, async () => {
      const m = appendCosineObjective(tower.model, { embedding: tower.outputName });
      const bytes = serializeModel(await buildGradientModel(m, { objective: 'objective', wrt: [tower.inputName], probe }));
      return { session: (await createSession(bytes, gradientSession(bundle))).session, bytes, meta: {} };
    });
    return { session, wrt: tower.inputName, grad: `grad:${tower.inputName}`, similarity: 'similarity', tower, base: async () => tower.model, release: () => session.release() };
  });
}

export interface ScaledText {
  session: ort.InferenceSession;
  tower: Tower;
  release(): Promise<void>;
}

/**
 * Text embeddings with each token's embedding scaled (text metrics, RISE): the text tower's own
 * session takes `token_scale` (tower.ts), so no second copy of the text weights is loaded.
 */
export function scaledTextModel(bundle: ClipBundle): Promise<ScaledText> {
  const tower = bundle.text;
  if (!tower.session.inputNames.includes(TOKEN_SCALE)) {
    return Promise.reject(new BundleError(`${tower.file}: cannot find the token-embedding lookup (Gather on input_ids), needed to scale token embeddings`));
  }
  return Promise.resolve({ session: tower.session, tower, release: async () => undefined });
}

/** Text embeddings with token embeddings scaled per position: scales is [batch][T]. */
export async function embedScaledTexts(bundle: ClipBundle, ids: number[], scales: Float32Array, batch: number): Promise<Float32Array> {
  const st = await scaledTextModel(bundle);
  const T = ids.length;
  const feeds = textFeeds(st.session, st.tower, ids, batch);
  feeds[TOKEN_SCALE] = new ort.Tensor('float32', scales, [batch, T, 1]);
  const out = await st.session.run(feeds, [st.tower.outputName]);
  return out[st.tower.outputName].data as Float32Array;
}
