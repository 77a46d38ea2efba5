import { methodLabel, type AuditRow } from '../../../electron/api/contract';

interface Props {
  rows: AuditRow[];
  currentId: string | null;
  selected: Set<string>;
  setSelected: (s: Set<string>) => void;
  onOpen: (findingId: string) => void;
}

/** The log's entries, newest first as the store lists them; findings can be ticked for export and opened. */
export function AuditTable({ rows, currentId, selected, setSelected, onOpen }: Props) {
  const tick = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };
  return (
    <div className="audit-table-wrap">
      <table className="audit-table" data-testid="audit-table">
        <thead>
          <tr>
            <th></th><th>#</th><th>Time</th><th>Reviewer</th><th>Study</th><th>Model</th><th>Method</th><th>Similarity</th><th>Decision</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.seq} data-testid="audit-row" className={currentId !== null && currentId === r.findingId ? 'current' : ''} onClick={() => r.findingId && onOpen(r.findingId)}>
              <td onClick={(e) => e.stopPropagation()}>
                {r.findingId ? (
                  <input type="checkbox" data-testid="audit-select" aria-label={`Select entry ${r.seq}`} checked={selected.has(r.findingId)} onChange={(e) => tick(r.findingId!, e.target.checked)} />
                ) : null}
              </td>
              <td>{r.seq}</td>
              <td className="nowrap">{r.time.replace('T', ' ').slice(0, 19)}</td>
              <td>{r.actor}</td>
              <td>{r.study ?? '—'}</td>
              <td className="nowrap" title={r.modelSha256 ?? ''}>{r.model ? `${r.model} · ${(r.modelSha256 ?? '').slice(0, 8)}` : '—'}</td>
              <td>{r.method ? methodLabel(r.method) : r.action}</td>
              <td>{r.similarity !== null ? r.similarity.toFixed(3) : '—'}</td>
              <td>{r.decision ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 ? <p className="muted">No entries match.</p> : null}
    </div>
  );
}
