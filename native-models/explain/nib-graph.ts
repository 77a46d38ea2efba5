/**
 * NIB's tail+gradient graph: the tail at the layer (with the last-layer shortcut where it applies,
 * graphs.ts), and the cut layer's Q/K/V projections folded so that they run once for all steps
 * (nib-fold.ts). The fold gives exact NIB scores but not the full gradient, so it is NIB's own graph,
 * kept only where its scores reproduce the plain tail's on a probe; elsewhere NIB runs the plain tail.
 * At precision int8 (opt-in, never the default) that same graph runs with its weight products in
 * int8 (onnx/quantize.ts); the forward to the cut stays fp32.
 */
import * as ort from 'onnxruntime-node';
import type { ClipBundle } from '../clip/bundle';
import { createSession, parseModel, serializeModel, type ModelProto } from '../clip/engine';
import { quantizeMatMuls } from '../onnx/quantize';
import { int8Units } from '../runtime/int8-units';
import { cached, checkLayer, cutTail, diskCached, verifyGraphAhead, gradientSession, holdsTailGradient, ownTailGradient, specializes, tailGradient, tailGradientModel, tailProbe, textFeeds, type GradGraph } from './graphs';
import { foldCutLayer, NIB_DIRECTION } from './nib-fold';
import type { Precision } from './types';

let fold = process.env.CANDOR_NO_NIB_FOLD !== '1';
/** Turns the cut-layer fold on or off (for benchmarks and checks). */
export function setNibFold(on: boolean): void {
  fold = on;
}

/** Per-token h·Σ_i g_i of one graph at x = h·i/2, i = 1, 2 (h: the probe's first item). */
async function probeScores(graph: GradGraph, h0: ort.Tensor, probe: Record<string, ort.Tensor>, ids: number[] | null): Promise<Float64Array> {
  const [, T, D] = h0.dims.map(Number);
  const h = h0.data as Float32Array;
  const x = new Float32Array(2 * T * D);
  for (let k = 0; k < T * D; k++) {
    x[k] = h[k] / 2;
    x[T * D + k] = h[k];
  }
  const feeds: Record<string, ort.Tensor> = ids ? textFeeds(graph.session, graph.tower, ids, 2) : {};
  feeds[graph.wrt] = new ort.Tensor('float32', x, [2, T, D]);
  feeds.target_embeds = probe.target_embeds;
  if (graph.direction) feeds[graph.direction] = h0;
  const g = (await graph.session.run(feeds, [graph.grad]))[graph.grad].data as Float32Array;
  const s = new Float64Array(T);
  for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) s[t] += h[t * D + d] * (g[t * D + d] + g[T * D + t * D + d]);
  return s;
}

/** The probe's first item, h0 [1, T, D]: the direction the folded graph is checked along. */
function probeDirection(probe: Record<string, ort.Tensor>, h: string): ort.Tensor {
  const hp = probe[h];
  const [, T, D] = hp.dims.map(Number);
  return new ort.Tensor('float32', (hp.data as Float32Array).slice(0, T * D), [1, T, D]);
}

/** The folded graph cut from `base` (the plain tail's model), serialized; a reason where the fold does not apply. */
async function foldedBytes(bundle: ClipBundle, plain: Pick<GradGraph, 'tower' | 'wrt'>, base: ModelProto): Promise<{ bytes: Uint8Array } | { reason: string }> {
  const h = plain.wrt;
  const f = foldCutLayer(cutTail(base, plain.tower, h), h);
  if (!f.model) return { reason: f.reason ?? 'not applicable' };
  const { probe } = await tailProbe(bundle, plain.tower.kind, h);
  return { bytes: await tailGradientModel(f.model, plain.tower, h, { ...probe, [NIB_DIRECTION]: probeDirection(probe, h) }) };
}

/**
 * NIB's graph as onnxruntime runs it, for profiling: the folded graph where the fold applies, else
 * the tail's; its feeds are `wrt` [batch, T, D], `target_embeds` [batch, projection] and, when
 * `direction` is set, h [1, T, D] under that name.
 */
export async function nibGradientBytes(bundle: ClipBundle, kind: 'vision' | 'text', layer: number): Promise<{ bytes: Uint8Array; wrt: string; direction: string | null }> {
  const plain = await tailGradient(bundle, kind, layer);
  const built = fold ? await foldedBytes(bundle, plain, await plain.base()) : { reason: 'off' };
  if ('bytes' in built) return { bytes: built.bytes, wrt: plain.wrt, direction: NIB_DIRECTION };
  return { bytes: await plainBytes(bundle, plain), wrt: plain.wrt, direction: null };
}

/** The plain tail+gradient graph, serialized. */
async function plainBytes(bundle: ClipBundle, plain: GradGraph): Promise<Uint8Array> {
  const { probe } = await tailProbe(bundle, plain.tower.kind, plain.wrt);
  return tailGradientModel(cutTail(await plain.base(), plain.tower, plain.wrt), plain.tower, plain.wrt, probe);
}

function int8Bytes(bytes: Uint8Array): Uint8Array {
  return serializeModel(quantizeMatMuls(parseModel(bytes, 'NIB tail+gradient graph'), { weightBits: int8Units().weightBits }).model);
}

/**
 * NIB's graph at int8: the fp32 graph's derivation (folded where the fp32 graph is), its weight
 * products quantized. Not checked against fp32 here: how far it agrees is measured (npm run bench
 * precision) and tested (tests/explain/precision.test.ts), and the explanation records the precision.
 */
function int8NibGradient(bundle: ClipBundle, kind: 'vision' | 'text', layer: number): Promise<GradGraph> {
  return cached(bundle, `nib:${kind}:${layer}:${fold ? 'folded' : 'plain'}:int8`, async () => {
    const fp32 = await nibGradient(bundle, kind, layer);
    const folded = fp32.direction !== undefined;
    const parts = { ...diskParts(bundle, kind, layer), folded, precision: 'int8', weightBits: int8Units().weightBits };
    // Pre-packed always: the integer kernels pack their int8 weights.
    const int8Session = { ...gradientSession(bundle), prepack: true };
    const { session } = await diskCached(bundle, parts, async () => {
      const plain = await tailGradient(bundle, kind, layer);
      const built = folded ? await foldedBytes(bundle, plain, await plain.base()) : null;
      const bytes = int8Bytes(built && 'bytes' in built ? built.bytes : await plainBytes(bundle, plain));
      return { session: (await createSession(bytes, int8Session)).session, bytes, meta: {} };
    }, int8Session);
    // The fp32 graph is cached on its own: this one releases only its session.
    return { ...fp32, session, release: () => session.release() };
  });
}

/** Why the fold does not apply to a graph (the plain tail runs NIB then). */
class NotFolded extends Error {}

/**
 * Starts the check of NIB's cached fp32 graph for this side (the one nibGradient opens from the
 * disk cache), so that its hashing runs beside the explanation's first steps; settles once it is hashed.
 */
export async function nibGraphAhead(bundle: ClipBundle, kind: 'vision' | 'text', layer: number, precision: Precision): Promise<void> {
  if (precision !== 'fp32' || !fold) return;
  await verifyGraphAhead(bundle, memoKey(kind, layer), diskParts(bundle, kind, layer));
}

/** The bundle's cache key of NIB's fp32 graph. */
function memoKey(kind: 'vision' | 'text', layer: number): string {
  return `nib:${kind}:${layer}:${fold ? 'folded' : 'plain'}`;
}

/** What the disk cache keys NIB's fp32 graph by (the int8 graph adds its own parts). */
function diskParts(bundle: ClipBundle, kind: 'vision' | 'text', layer: number): { graph: string; kind: string; layer: number; lastLayer: boolean } {
  return { graph: 'nib-gradient', kind, layer, lastLayer: specializes(bundle, kind, layer) };
}

export function nibGradient(bundle: ClipBundle, kind: 'vision' | 'text', layer: number, precision: Precision = 'fp32'): Promise<GradGraph> {
  checkLayer(bundle, kind, layer);
  if (precision === 'int8') return int8NibGradient(bundle, kind, layer);
  const key = memoKey(kind, layer);
  let p = bundle.cache.get(key) as Promise<GradGraph> | undefined;
  if (p) return p;
  p = (async (): Promise<GradGraph> => {
    // The plain tail is cached on its own: what is returned here must not release it twice.
    const reuse = (plain: GradGraph, folded: GradGraph['folded']): GradGraph => ({ ...plain, folded, release: async () => undefined });
    if (!fold) return reuse(await tailGradient(bundle, kind, layer), undefined);
    // From the disk cache the folded graph needs no plain tail; one is made only to derive it, or where it does not apply.
    let plainP: Promise<GradGraph> | null = null;
    const plain = (): Promise<GradGraph> => (plainP ??= tailGradient(bundle, kind, layer));
    const tower = kind === 'vision' ? bundle.vision : bundle.text;
    const h = tower.layerInputs[layer];
    try {
      const { session, meta } = await diskCached(bundle, diskParts(bundle, kind, layer), async () => {
        // The fold is checked against the plain tail's scores on the probe, taken first: a plain tail
        // made only for that goes before the fold is built (it holds the same weights again: ViT-B/32,
        // 87 MB); one the bundle already holds for others stays.
        const own = !holdsTailGradient(bundle, kind, layer);
        const pl = own ? await ownTailGradient(bundle, kind, layer) : await plain();
        const { probe } = await tailProbe(bundle, kind, h);
        const h0 = probeDirection(probe, h);
        const ids = kind === 'text' ? bundle.tokenize('a').ids : null;
        let expected: Float64Array;
        let base: ModelProto;
        try {
          expected = await probeScores(pl, h0, probe, ids);
          base = await pl.base();
        } finally {
          if (own) await pl.release();
        }
        const built = await foldedBytes(bundle, pl, base);
        if (!('bytes' in built)) throw new NotFolded(built.reason);
        const session = (await createSession(built.bytes, gradientSession(bundle))).session;
        try {
          const got = await probeScores({ ...pl, session, direction: NIB_DIRECTION }, h0, probe, ids);
          let max = 0, scale = 1e-12;
          for (let t = 0; t < expected.length; t++) {
            max = Math.max(max, Math.abs(expected[t] - got[t]));
            scale = Math.max(scale, Math.abs(expected[t]));
          }
          if (max > 1e-4 * scale) throw new NotFolded(`the folded graph's scores differ from the plain tail's (max ${max} of ${scale})`);
        } catch (e) {
          await session.release();
          throw e;
        }
        return { session, bytes: built.bytes, meta: { specialized: pl.specialized ?? null } };
      });
      const base = async (): Promise<Awaited<ReturnType<GradGraph['base']>>> => (await plain()).base();
      return { session, wrt: h, grad: `grad:${h}`, similarity: 'similarity', tower, specialized: meta.specialized ?? undefined, direction: NIB_DIRECTION, folded: { applied: true, reason: null }, base, release: () => session.release() };
    } catch (e) {
      return reuse(await plain(), { applied: false, reason: (e as Error).message });
    }
  })();
  bundle.cache.set(key, p);
  p.catch(() => bundle.cache.delete(key));
  return p;
}
