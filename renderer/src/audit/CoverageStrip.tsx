import type { VerifyReport } from '../../../electron/api/contract';
import { coverageRuns, eventRange, RUN_LABELS, type CoverageRun } from './evidence';

function runText(r: CoverageRun): string {
  return `${eventRange(r.from, r.to)}: ${RUN_LABELS[r.kind]}`;
}

/**
 * The log's events left to right, coloured by what vouches for them: a trusted signature, an
 * anchor, both, nothing, or broken (and, past the end, events a truncation removed). Each run keeps
 * a few pixels however short, so one broken event in 100,000 still shows.
 */
export function CoverageStrip({ report }: { report: VerifyReport }) {
  const runs = coverageRuns(report);
  if (runs.length === 0) return <p className="muted small">The log has no events yet.</p>;
  return (
    <div className="coverage" data-testid="coverage">
      <div className="coverage-strip" role="img" aria-label={`Coverage: ${runs.map(runText).join('; ')}`}>
        {runs.map((r) => (
          <span key={r.from} className={`run run-${r.kind}`} style={{ flexGrow: r.to - r.from + 1 }} title={runText(r)} data-testid="coverage-run" data-kind={r.kind} data-from={r.from} data-to={r.to} />
        ))}
      </div>
      <div className="coverage-legend">
        {runs.map((r) => (
          <span key={r.from} data-testid="coverage-legend">
            <i className={`swatch run-${r.kind}`} aria-hidden /> {runText(r)}
          </span>
        ))}
      </div>
    </div>
  );
}
