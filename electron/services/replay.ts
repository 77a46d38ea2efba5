/**
 * Replay: a recorded explanation run again from its record alone (model and scan by SHA-256,
 * frame, window, letterbox, method, layer, steps, target and the method's recorded settings),
 * then compared with what was recorded: similarity, patch and token scores, the map.
 *
 * onnxruntime on the CPU gives bit-identical results run to run here, with any intra-op thread
 * count (tests/explain/replay.test.ts; README "What the audit log proves"), so a replay on the
 * machine that recorded normally matches to the bit; the tolerances admit the last-bit
 * differences of another CPU's kernels, not a different model or input.
 */
import type { RecordedFinding, ReplayPart, ReplayPartResult, ReplayReport, ScanSummary } from '../api/contract';
import { METHOD_SPECS, paramOption, type Method } from '../api/contract';
import type { ClipBundle } from '../../native-models/clip/bundle';
import { explain } from '../../native-models/explain/index';
import { scanImageFor } from './explanations';

/** The largest differences a replay may show: similarity and map absolute, scores relative to the record's largest. */
export const REPLAY_TOLERANCE = { similarity: 1e-5, scoresRelative: 1e-4, map: 1e-3 } as const;

export interface ReplayScan {
  summary: Omit<ScanSummary, 'id'>;
  frame(n: number): Promise<Float32Array>;
}

/** The recorded method settings (params 'm2ib.beta', 'riseText.masks', …) as ExplainOptions.extra keys. */
export function recordedExtra(method: Method, params: Record<string, unknown>): Record<string, number> {
  const extra: Record<string, number> = {};
  const spec = METHOD_SPECS[method];
  for (const group of [spec.params.image, spec.params.text]) {
    if (!group?.record) continue;
    for (const [name, p] of Object.entries(group.params)) {
      const v = params[`${group.record}.${name}`];
      if (typeof v === 'number') extra[paramOption(name, p)] = v;
    }
  }
  return extra;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) continue;
    const x = Math.abs(a[i]! - b[i]!);
    d = Number.isNaN(x) ? Infinity : Math.max(d, x);
  }
  return d;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function part(name: ReplayPart, recorded: ArrayLike<number> | null, replayed: ArrayLike<number> | null, tolerance: (rec: ArrayLike<number>) => number): ReplayPartResult {
  if (!recorded && !replayed) return { part: name, compared: 0, maxAbsDiff: 0, tolerance: 0, within: true, note: 'neither the record nor the replay has it' };
  if (!recorded || !replayed) return { part: name, compared: 0, maxAbsDiff: Infinity, tolerance: 0, within: false, note: recorded ? 'the replay has none' : 'the record has none' };
  const tol = tolerance(recorded);
  if (recorded.length !== replayed.length) return { part: name, compared: 0, maxAbsDiff: Infinity, tolerance: tol, within: false, note: `${recorded.length} values recorded, ${replayed.length} replayed` };
  const d = maxAbsDiff(recorded, replayed);
  return { part: name, compared: recorded.length, maxAbsDiff: d, tolerance: tol, within: d <= tol, note: null };
}

const relative = (rec: ArrayLike<number>) => REPLAY_TOLERANCE.scoresRelative * maxAbs(rec) + 1e-12;

function short(h: string): string {
  return `${h.slice(0, 12)}…`;
}

/** Runs the finding's explanation again with the bundle and scan at hand and compares. */
export async function replayFinding(finding: RecordedFinding, inputs: { bundle: ClipBundle; scan: ReplayScan; signal?: AbortSignal }): Promise<ReplayReport> {
  const t0 = performance.now();
  const e = finding.explanation;
  const { bundle, scan } = inputs;
  const base = {
    findingId: finding.findingId,
    seq: finding.seq,
    recorded: { modelSha256: e.model.sha256, scanSha256: e.input.scanSha256, provider: e.provider, method: e.method },
    replayed: { modelSha256: bundle.sha256, scanSha256: scan.summary.sha256, provider: null as string | null },
    parts: [] as ReplayPartResult[],
    paramDifferences: [] as string[],
    bitIdentical: false,
  };
  const wrongModel = bundle.sha256 !== e.model.sha256;
  const wrongScan = scan.summary.sha256 !== e.input.scanSha256;
  if (wrongModel || wrongScan) {
    const what = [
      wrongModel ? `model SHA mismatch: the model at hand (${bundle.name}, SHA-256 ${short(bundle.sha256)}) is not the recorded one (${e.model.name}, ${short(e.model.sha256)})` : null,
      wrongScan ? `scan SHA mismatch: the scan at hand (${scan.summary.fileName}, SHA-256 ${short(scan.summary.sha256)}) is not the recorded one (${short(e.input.scanSha256)})` : null,
    ].filter(Boolean);
    return { ...base, outcome: wrongModel ? 'wrong-model' : 'wrong-scan', message: `not replayed: ${what.join('; ')}`, ms: performance.now() - t0 };
  }

  const p = e.params;
  const window = typeof p.windowCenter === 'number' && typeof p.windowWidth === 'number' ? { center: p.windowCenter, width: p.windowWidth } : null;
  const image = scanImageFor(scan.summary, await scan.frame(e.input.frame), window);
  const core = await explain(bundle, image, e.input.text, {
    method: e.method,
    // A textLayer entry means the towers ran at their own default layers (no layer was asked for).
    layer: 'textLayer' in p ? undefined : p.layer,
    steps: p.steps,
    target: p.target,
    letterbox: p.letterbox === true,
    // Absent: fp32 (records made before the setting, and every fp32 run, leave it out).
    precision: p.precision === 'int8' ? 'int8' : undefined,
    extra: recordedExtra(e.method, p),
    metrics: false,
    signal: inputs.signal,
  });
  const replayedParams: Record<string, unknown> = window ? { ...core.params, windowCenter: window.center, windowWidth: window.width } : { ...core.params };
  for (const k of [...new Set([...Object.keys(p), ...Object.keys(replayedParams)])].sort()) {
    if (!Object.is(p[k], replayedParams[k])) base.paramDifferences.push(`${k}: ${String(p[k])} → ${String(replayedParams[k])}`);
  }
  const parts = [
    part('similarity', [e.similarity], [core.similarity], () => REPLAY_TOLERANCE.similarity),
    part('imageTokens', e.image?.tokenScores ?? null, core.image?.tokenScores ?? null, relative),
    part('textTokens', e.text?.tokens.map((t) => t.raw) ?? null, core.text?.tokens.map((t) => t.raw) ?? null, relative),
    part('map', e.image && e.image.map.values.length ? e.image.map.values : null, core.image && core.image.map.values.length ? core.image.map.values : null, () => REPLAY_TOLERANCE.map),
  ];
  const ok = parts.every((x) => x.within) && base.paramDifferences.length === 0;
  const bitIdentical = ok && parts.every((x) => x.maxAbsDiff === 0);
  const worst = parts.filter((x) => !x.within).map((x) => `${x.part} ${x.note ?? `differs by up to ${x.maxAbsDiff.toExponential(2)} (tolerance ${x.tolerance.toExponential(1)})`}`);
  const largest = parts.filter((x) => x.compared > 0).map((x) => `${x.part} ${x.maxAbsDiff.toExponential(1)}`).join(', ');
  const message = ok
    ? `reproduced: finding #${finding.seq} (${e.method}) ${bitIdentical ? 'matches its record bit for bit' : `matches its record within tolerance (largest differences: ${largest})`}`
    : `DIFFERS: finding #${finding.seq} (${e.method}): ${[...worst, ...base.paramDifferences.map((d) => `parameter ${d}`)].join('; ')}`;
  return { ...base, replayed: { ...base.replayed, provider: bundle.provider }, parts, bitIdentical, outcome: ok ? 'reproduced' : 'differs', message, ms: performance.now() - t0 };
}
