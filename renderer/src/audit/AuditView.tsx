import { useState } from 'react';
import type { OpenedScan } from '../studies/scanStore';
import { useReportExport } from '../session/useReportExport';
import { AuditDetail } from './AuditDetail';
import { AuditFilters } from './AuditFilters';
import { AuditHead } from './AuditHead';
import { AuditTable } from './AuditTable';
import { useAuditEntry } from './useAuditEntry';
import { useAuditLog } from './useAuditLog';

interface Props {
  findScan: (sha256: string) => Promise<OpenedScan | null>;
}

/** The auditor's view: the hash-chained log, filtered, with any finding redrawn as recorded and exported to PDF. */
export function AuditView({ findScan }: Props) {
  const log = useAuditLog();
  const { entry, scan, display, setDisplay, busy: opening, open } = useAuditEntry(findScan, log.setError);
  const report = useReportExport();
  const [selected, setSelected] = useState<Map<string, number>>(new Map());
  const busy = opening || report.busy;
  const ticked = [...selected].map(([findingId, seq]) => ({ findingId, seq }));

  return (
    <div className="audit" data-testid="audit-view">
      <AuditHead
        chain={log.chain}
        dbPath={log.dbPath}
        onVerify={() => void log.verify()}
        selectedCount={selected.size}
        busy={busy}
        onExportSelected={() => void report.exportPdf(ticked, `the ${ticked.length} ticked finding${ticked.length === 1 ? '' : 's'}`)}
      />
      <AuditFilters filters={log.filters} setFilters={log.setFilters} known={log.known} />
      {log.error ? <div className="inline-error" role="alert" data-testid="audit-error">{log.error}</div> : null}
      {report.note ? (
        <div className={report.note.ok ? 'ok' : 'inline-error'} role="status" data-testid={report.note.ok ? 'pdf-result' : 'audit-error'}>{report.note.text}</div>
      ) : null}
      <div className="audit-body">
        <AuditTable rows={log.rows} chain={log.chain} currentId={entry?.findingId ?? null} selected={selected} setSelected={setSelected} onOpen={(id) => void open(id)} />
        {entry ? (
          <AuditDetail
            entry={entry}
            chain={log.chain}
            scan={scan}
            display={display}
            setDisplay={setDisplay}
            busy={busy}
            onExport={(one) => void report.exportPdf(one, 'this entry')}
          />
        ) : (
          <div className="audit-detail muted">Click an entry to redraw its map and word scores exactly as recorded.</div>
        )}
      </div>
    </div>
  );
}
