// Comparing the app's NIB output with the PyTorch reference cases, and with the independent
// one-step-at-a-time oracle (tests/onnx/nib-oracle.ts) for step counts the references lack.
import assert from 'node:assert/strict';
import { maxAbsDiff, type RefCase } from '../clip/helpers';
import { encodeCase, nibOneStepAtATime, sumRows } from '../onnx/nib-oracle';

/** What an explanation says, from explain() or the CLI's JSON. */
export interface NibOutput {
  similarity: number;
  /** raw patch scores (CLS dropped) */
  patch: ArrayLike<number>;
  /** raw token scores, start/end included */
  tokens: ArrayLike<number>;
  /** the normalized 64×64 map */
  map: ArrayLike<number>;
  normalizedTokens: ArrayLike<number>;
}

function tol(c: RefCase, key: string): number | null {
  return c.tolerances[key] as number | null;
}

/** Within the case's tolerances of its float64 block (README "Tolerances"). */
export function assertMatchesReference(o: NibOutput, c: RefCase, label: string): void {
  const ref = c.float64;
  assert.ok(Math.abs(o.similarity - ref.similarity) <= tol(c, 'similarity_abs')!, `${label}: similarity ${o.similarity} vs ${ref.similarity}`);
  const dp = maxAbsDiff(o.patch, ref.image.patch_scores_raw);
  assert.ok(dp <= tol(c, 'image_patch_scores_raw_abs')!, `${label}: patch scores differ by ${dp}`);
  const dt = maxAbsDiff(o.tokens, ref.text.token_scores_raw);
  assert.ok(dt <= tol(c, 'text_token_scores_raw_abs')!, `${label}: token scores differ by ${dt}`);
  const mapTol = tol(c, 'image_map_abs');
  if (mapTol !== null) {
    const d = maxAbsDiff(o.map, ref.image.map);
    assert.ok(d <= mapTol, `${label}: map differs by ${d}`);
  }
  const tokTol = tol(c, 'text_token_scores_abs');
  if (tokTol !== null) {
    const d = maxAbsDiff(o.normalizedTokens, ref.text.token_scores);
    assert.ok(d <= tokTol, `${label}: normalized token scores differ by ${d}`);
  }
}

export interface OracleNib {
  /** per tower: the NIB scores (column sums of the per-step terms), the per-step terms and cos at each point */
  vision: { scores: number[]; rows: number[][]; losses: number[] };
  text: { scores: number[]; rows: number[][]; losses: number[] };
}

/** n-step NIB of a case at its layer, each step its own run of the oracle's graph. */
export async function oracleNib(c: RefCase, n: number): Promise<OracleNib> {
  const enc = await encodeCase(c);
  const v = await nibOneStepAtATime('vision', c.layer, enc.vision, enc.textEmbeds, c.input_ids, n);
  const t = await nibOneStepAtATime('text', c.layer, enc.text, enc.imageEmbeds, c.input_ids, n);
  return { vision: { ...v, scores: sumRows(v.rows) }, text: { ...t, scores: sumRows(t.rows) } };
}

/**
 * With 2m steps, the even steps i = 2j are the points j/m of an m-step run: twice their terms
 * summed is m-step NIB. This ties the oracle to the PyTorch reference (m = the case's steps).
 */
export function assertEvenStepsGiveReference(o: OracleNib, c: RefCase): void {
  const half = (rows: number[][]): number[] => sumRows(rows.filter((_, i) => i % 2 === 1)).map((s) => 2 * s);
  const v = half(o.vision.rows);
  assert.ok(Math.abs(v[0] - c.float64.image.cls_score_raw!) <= tol(c, 'image_patch_scores_raw_abs')!, `${c.case}: oracle CLS ${v[0]}`);
  const dp = maxAbsDiff(v.slice(1), c.float64.image.patch_scores_raw);
  assert.ok(dp <= tol(c, 'image_patch_scores_raw_abs')!, `${c.case}: oracle even steps vs reference patch scores: ${dp}`);
  const dt = maxAbsDiff(half(o.text.rows), c.float64.text.token_scores_raw);
  assert.ok(dt <= tol(c, 'text_token_scores_raw_abs')!, `${c.case}: oracle even steps vs reference token scores: ${dt}`);
  const evenLosses = (l: number[]): number[] => l.filter((_, i) => i % 2 === 1);
  assert.ok(maxAbsDiff(evenLosses(o.vision.losses), c.float64.debug.vision_step_losses) <= tol(c, 'similarity_abs')!);
  assert.ok(maxAbsDiff(evenLosses(o.text.losses), c.float64.debug.text_step_losses) <= tol(c, 'similarity_abs')!);
}
