import { formatTime, methodLabel, type AuditRow } from '../../../electron/api/contract';
import { INTEGRITY_MARK, integrityText, rowIntegrity, type Evidence } from './integrity';

interface Props {
  rows: AuditRow[];
  evidence: Evidence | null;
  currentId: string | null;
  /** Ticked findings, by id, with their entry numbers. */
  selected: ReadonlyMap<string, number>;
  setSelected: (s: Map<string, number>) => void;
  onOpen: (findingId: string) => void;
}

/** "2026-12-06 02:57:14 UTC" as two pieces that may wrap between them (date, then time and zone). */
function TimeCell({ iso }: { iso: string }) {
  const [date, ...rest] = formatTime(iso).split(' ');
  return (
    <td title={iso}>
      <span className="nowrap">{date}</span> <span className="nowrap">{rest.join(' ')}</span>
    </td>
  );
}

/**
 * The log's entries, newest first as the store lists them; findings can be ticked for export and
 * opened. A break marks its first broken entry and every entry after it; entries no trusted
 * signature or anchor covers are marked too.
 */
export function AuditTable({ rows, evidence, currentId, selected, setSelected, onOpen }: Props) {
  const tick = (row: AuditRow, on: boolean) => {
    const next = new Map(selected);
    if (on) next.set(row.findingId!, row.seq);
    else next.delete(row.findingId!);
    setSelected(next);
  };
  return (
    <div className="audit-table-wrap" data-testid="audit-table-wrap">
      <table className="audit-table" data-testid="audit-table">
        <thead>
          <tr>
            <th aria-label="Select"></th><th>#</th><th>Time (UTC)</th><th>Reviewer</th><th>Study</th><th>Model</th><th>Method</th><th>Similarity</th><th>Decision</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const integrity = rowIntegrity(r.seq, evidence);
            const classes = [integrity, currentId !== null && currentId === r.findingId ? 'current' : ''].filter(Boolean).join(' ');
            return (
              <tr key={r.seq} data-testid="audit-row" data-seq={r.seq} data-integrity={integrity} className={classes} onClick={() => r.findingId && onOpen(r.findingId)}>
                <td onClick={(e) => e.stopPropagation()}>
                  {r.findingId ? (
                    <input type="checkbox" data-testid="audit-select" aria-label={`Select entry ${r.seq}`} checked={selected.has(r.findingId)} onChange={(e) => tick(r, e.target.checked)} />
                  ) : null}
                </td>
                <td className="nowrap" title={integrityText(r.seq, evidence)}>
                  <span className="integrity-mark" data-testid="integrity-mark" aria-label={integrity}>{INTEGRITY_MARK[integrity]}</span> {r.seq}
                </td>
                <TimeCell iso={r.time} />
                <td>{r.actor}</td>
                <td className="study-cell">{r.study ?? '—'}</td>
                <td title={r.modelSha256 ? `SHA-256 ${r.modelSha256} (open the entry to copy it)` : ''}>
                  {r.model ? <>{r.model} <span className="hash-short">{(r.modelSha256 ?? '').slice(0, 8)}</span></> : '—'}
                </td>
                <td>{r.method ? methodLabel(r.method) : r.action}</td>
                <td>{r.similarity !== null ? r.similarity.toFixed(3) : '—'}</td>
                <td>{r.decision ?? '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {rows.length === 0 ? <p className="muted">No entries match.</p> : null}
    </div>
  );
}
