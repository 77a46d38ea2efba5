/**
 * Faithfulness metrics as the NIB paper's evaluation computes them (LMBTough/NIB scripts/eval.py,
 * built on pytorch-grad-cam's DropInConfidence / IncreaseInConfidence), per explanation:
 * - image: the normalized pixel values multiplied by the normalized map (model space), re-scored;
 *   drop = max(0, s − s') · 100, increase = [s' > s] · 100 (s = cos with the text embedding);
 * - text: start/end tokens removed from the ids (as eval.py does), each remaining token's
 *   embedding-table row multiplied by its normalized score (a repeated id is scaled once per
 *   occurrence, as in eval.py), re-scored against the same ids unperturbed;
 * plus deletion / insertion AUC for the image (pixels removed from / revealed into the zero
 * image, i.e. the normalization mean, in order of the map, `aucSteps` equal steps, trapezoid).
 */
import type { ClipBundle } from '../clip/bundle';
import type { Tokenized } from '../clip/tokenizer';
import { checkAbort, cosine, type Control } from './core';
import { embedScaledTexts } from './graphs';

export async function imageConfidence(bundle: ClipBundle, pixelValues: Float32Array, modelMap: ArrayLike<number>, textEmbeds: Float32Array, similarity: number): Promise<{ vdrop: number; vincr: number }> {
  const { vdrop, vincr } = await imageMetrics(bundle, pixelValues, modelMap, textEmbeds, similarity, null, {});
  return { vdrop, vincr };
}

export async function textConfidence(bundle: ClipBundle, tok: Pick<Tokenized, 'ids' | 'tokens'>, tokenMap: ArrayLike<number>, imageEmbeds: Float32Array): Promise<{ tdrop: number; tincr: number } | null> {
  const ids = tok.ids;
  // eval.py drops the first and last token (start/end) from the ids it feeds; padding is not the
  // text's, so it goes too, and the shorter sequence is padded again as the tokenizer pads.
  const real = tok.tokens.map((t, i) => (t.pad ? -1 : i)).filter((i) => i >= 0);
  const first = real[0];
  const last = real[real.length - 1];
  const keep = real.filter((i) => !(tok.tokens[i].special && (i === first || i === last)));
  if (keep.length === 0) return null;
  const kept = bundle.tokenizer.pad(keep.map((i) => ids[i]));
  const rowScale = new Map<number, number>();
  for (const i of keep) rowScale.set(ids[i], (rowScale.get(ids[i]) ?? 1) * tokenMap[i]);
  const T = kept.length;
  const scales = new Float32Array(2 * T);
  for (let t = 0; t < T; t++) {
    scales[t] = 1;
    // Rows, as eval.py scales the embedding table: padding added back is scaled only if its id is a kept token's.
    scales[T + t] = rowScale.get(kept[t]) ?? 1;
  }
  const emb = await embedScaledTexts(bundle, kept, scales, 2);
  const P = bundle.projectionDim;
  const s0 = cosine(emb, imageEmbeds, 0, 0, P);
  const s1 = cosine(emb, imageEmbeds, P, 0, P);
  return { tdrop: Math.max(0, s0 - s1) * 100, tincr: s1 > s0 ? 100 : 0 };
}

/**
 * Token rows (images × tokens) the curves put in one run, split evenly: fewer runs of more rows
 * are faster until the activations outgrow the caches (2-core Xeon, 30 curve images: ViT-B/32 in
 * 2 runs of 15 is 4% faster than 4 of 8; ViT-B/16 is flat from 6 to 16 images a run and 10% slower
 * at 30), and a large model's batch must stay small.
 */
const CURVE_ROWS = 1200;

type Curves = { deletion: number; insertion: number; deletionCurve: number[]; insertionCurve: number[] };

/**
 * The curves' images, each embedded once: both curves end at the all-zero image (deletion's last,
 * insertion's first: its embedding is the bundle's, from its load probe) and at the unchanged image
 * (deletion's first, insertion's last: its embedding is `imageEmbeds` where the caller has it, as
 * explain does from its encoding), so 2K − 2 of the 2K + 2 images are run, in batches that mix the
 * two curves (ViT-B/32, K = 16: 30 images in 2 runs of 15, not 34 in 6).
 */
export async function deletionInsertion(bundle: ClipBundle, pixelValues: Float32Array, modelMap: ArrayLike<number>, textEmbeds: Float32Array, aucSteps: number, ctl: Control, imageEmbeds?: Float32Array): Promise<Curves> {
  const { curves } = await imageMetrics(bundle, pixelValues, modelMap, textEmbeds, null, aucSteps, ctl, imageEmbeds);
  return curves!;
}

/**
 * The image's confidence drop / increase (where `similarity` is given) and its curves (where
 * `aucSteps` is), their images embedded together: the confidence's map-weighted image rides in the
 * curves' runs instead of a run of its own (ViT-B/32: 31 images in 2 runs, not 1 then 30 in 2).
 */
export async function imageMetrics(
  bundle: ClipBundle,
  pixelValues: Float32Array,
  modelMap: ArrayLike<number>,
  textEmbeds: Float32Array,
  similarity: number | null,
  aucSteps: number | null,
  ctl: Control,
  imageEmbeds?: Float32Array,
): Promise<{ vdrop: number; vincr: number; curves: Curves | null }> {
  const S = bundle.imageSize;
  const N = S * S;
  const K = aucSteps ?? 0;
  const rank = new Int32Array(N);
  if (aucSteps !== null) Array.from({ length: N }, (_, i) => i).sort((a, b) => modelMap[b] - modelMap[a] || a - b).forEach((p, r) => (rank[p] = r));
  const P = bundle.projectionDim;
  // The images to run: the map-weighted one, the unchanged one where not given, then each curve's inner steps.
  type Job = { mode: 'weighted' | 'original' | 'deletion' | 'insertion'; k: number };
  const jobs: Job[] = [];
  if (similarity !== null) jobs.push({ mode: 'weighted', k: 0 });
  if (aucSteps !== null) {
    if (!imageEmbeds) jobs.push({ mode: 'original', k: 0 });
    for (const mode of ['deletion', 'insertion'] as const) for (let k = 1; k < K; k++) jobs.push({ mode, k });
  }
  const fill = (x: Float32Array, at: number, job: Job): void => {
    if (job.mode === 'weighted') {
      for (let c = 0; c < 3; c++) for (let p = 0; p < N; p++) x[at + c * N + p] = pixelValues[c * N + p] * modelMap[p];
      return;
    }
    const cut = Math.round((job.k / K) * N);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < N; p++) {
        const top = rank[p] < cut;
        const keepPixel = job.mode === 'original' || (job.mode === 'deletion' ? !top : top);
        if (keepPixel) x[at + c * N + p] = pixelValues[c * N + p];
      }
    }
  };
  const cosines: number[] = [];
  const runs = Math.ceil(jobs.length / Math.max(1, Math.floor(CURVE_ROWS / bundle.vision.tokens)));
  for (let r = 0, first = 0; r < runs; r++) {
    checkAbort(ctl.signal);
    // The first jobs.length % runs runs take one image more: ViT-B/16's 31 images run as 6 + 5 × 5, not 5 × 6 + 1.
    const b = Math.floor(jobs.length / runs) + (r < jobs.length % runs ? 1 : 0);
    const x = new Float32Array(b * 3 * N);
    for (let j = 0; j < b; j++) fill(x, j * 3 * N, jobs[first + j]);
    const emb = await bundle.embedImages(x, b);
    for (let j = 0; j < b; j++) cosines.push(cosine(emb, textEmbeds, j * P, 0, P));
    first += b;
    ctl.progress?.(first / jobs.length);
  }
  let next = 0;
  const take = (n: number): number[] => cosines.slice(next, (next += n));
  const [masked] = similarity !== null ? take(1) : [0];
  const confidence = similarity !== null ? { vdrop: Math.max(0, similarity - masked) * 100, vincr: masked > similarity ? 100 : 0 } : { vdrop: NaN, vincr: NaN };
  if (aucSteps === null) return { ...confidence, curves: null };
  const zero = cosine(bundle.zeroImageEmbeds, textEmbeds, 0, 0, P);
  const original = imageEmbeds ? cosine(imageEmbeds, textEmbeds, 0, 0, P) : take(1)[0];
  const deletionCurve = [original, ...take(K - 1), zero];
  const insertionCurve = [zero, ...take(K - 1), original];
  const auc = (c: number[]): number => {
    let s = 0;
    for (let k = 0; k < c.length - 1; k++) s += (c[k] + c[k + 1]) / 2;
    return s / (c.length - 1);
  };
  return { ...confidence, curves: { deletion: auc(deletionCurve), insertion: auc(insertionCurve), deletionCurve, insertionCurve } };
}
