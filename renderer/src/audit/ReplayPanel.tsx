import type { ReplayReport } from '../../../electron/api/contract';
import { formatDiff, PART_LABELS, replayHeadline, shaPair } from './replayText';
import type { Replay } from './useReplay';

function ReplayResult({ r }: { r: ReplayReport }) {
  const good = r.outcome === 'reproduced';
  return (
    <div className={good ? 'replay-result ok' : 'replay-result inline-error'} data-testid="replay-result" data-outcome={r.outcome} data-bit-identical={r.bitIdentical}>
      <strong data-testid="replay-outcome">{replayHeadline(r)}</strong>
      <div className="small" data-testid="replay-message">{r.message}</div>
      {r.outcome === 'wrong-model' ? <div className="small">Model SHA-256: {shaPair(r.recorded.modelSha256, r.replayed.modelSha256)}</div> : null}
      {r.outcome === 'wrong-scan' ? <div className="small">Scan SHA-256: {shaPair(r.recorded.scanSha256, r.replayed.scanSha256)}</div> : null}
      {r.parts.length ? (
        <table className="kv replay-parts" data-testid="replay-parts">
          <thead>
            <tr><th>Part</th><th>Values</th><th>Largest difference</th><th>Tolerance</th><th></th></tr>
          </thead>
          <tbody>
            {r.parts.map((p) => (
              <tr key={p.part} data-testid="replay-part" data-part={p.part} data-within={p.within}>
                <th>{PART_LABELS[p.part]}</th>
                <td>{p.compared}</td>
                <td>{formatDiff(p.maxAbsDiff)}</td>
                <td>{p.compared ? formatDiff(p.tolerance) : '—'}</td>
                <td>{p.within ? '✓ within' : '✗ beyond'}{p.note ? ` (${p.note})` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {r.paramDifferences.length ? <div className="small">Parameters that differ: {r.paramDifferences.join('; ')}</div> : null}
      {r.parts.length ? (
        <div className="small muted">
          Ran in {(r.ms / 1000).toFixed(2)} s on {r.replayed.provider ?? '—'} (recorded on {r.recorded.provider}).
        </div>
      ) : null}
    </div>
  );
}

/**
 * Where the replay runs and what it found. The scan is the one open in this session with the
 * recorded SHA-256, unless a file is named here (another copy of the study, or a file on a medium).
 */
export function ReplayPanel({ replay, scanOpen }: { replay: Replay; scanOpen: string | null }) {
  return (
    <section className="replay" data-testid="replay-panel" aria-label="Replay">
      <div className="replay-row">
        <span className="small">Replay on</span>
        <input
          data-testid="replay-scan-path"
          aria-label="Scan file for the replay"
          placeholder={scanOpen ? `${scanOpen} (open in this session), or a file path` : 'the scan file (not open in this session)'}
          value={replay.path}
          onChange={(e) => replay.setPath(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') void replay.replay();
          }}
        />
      </div>
      {replay.busy ? <div className="muted small" data-testid="replay-busy">Running the explanation again…</div> : null}
      {replay.error ? <div className="inline-error" role="alert" data-testid="replay-error">{replay.error}</div> : null}
      {replay.report ? <ReplayResult r={replay.report} /> : null}
    </section>
  );
}
