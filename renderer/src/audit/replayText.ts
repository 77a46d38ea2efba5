/** A replay's result in words: the outcome, and each compared part's largest difference against its tolerance. Pure. */
import type { ReplayPart, ReplayReport } from '../../../electron/api/contract';

export const PART_LABELS: Record<ReplayPart, string> = {
  similarity: 'Similarity',
  imageTokens: 'Image patch scores',
  textTokens: 'Token scores',
  map: 'Map',
};

/** The outcome as a few words: bit for bit, within tolerance, differs, or which input is not the recorded one. */
export function replayHeadline(r: ReplayReport): string {
  switch (r.outcome) {
    case 'reproduced':
      return r.bitIdentical ? 'Reproduced bit for bit' : 'Reproduced within tolerance (not bit-identical)';
    case 'differs':
      return 'DIFFERS from the record';
    case 'wrong-model':
      return 'Not replayed: the configured model is not the recorded one';
    default:
      return 'Not replayed: the scan is not the recorded one';
  }
}

/** A difference or tolerance: "0 (identical)", "3.05e-7"; none (an infinite difference arrives as null over JSON) "—". */
export function formatDiff(x: number | null): string {
  if (x === 0) return '0 (identical)';
  if (x === null || !Number.isFinite(x)) return '—';
  return x.toExponential(2);
}

/** The two SHA-256 of an input that did not match, shortened: "recorded 5a83b1984d3f…, at hand 0c1d…". */
export function shaPair(recorded: string, atHand: string): string {
  return `recorded ${recorded.slice(0, 12)}…, at hand ${atHand.slice(0, 12)}…`;
}
