import { useState } from 'react';
import type { OpenedScan } from '../studies/scanStore';
import { exportNoteClass, useReportExport } from '../session/useReportExport';
import { AuditDetail } from './AuditDetail';
import { AuditFilters } from './AuditFilters';
import { AuditHead } from './AuditHead';
import { AuditTable } from './AuditTable';
import { EvidencePanel } from './EvidencePanel';
import { rowEvidence } from './integrity';
import { useAuditEntry } from './useAuditEntry';
import { useAuditLog } from './useAuditLog';
import { useEvidence } from './useEvidence';
import './audit.css';

interface Props {
  findScan: (sha256: string) => Promise<OpenedScan | null>;
}

/**
 * The auditor's view: the verdict on the hash-chained log (its signatures and the anchors handed
 * in: coverage), the log filtered, any finding redrawn as recorded, replayed, and exported to PDF.
 */
export function AuditView({ findScan }: Props) {
  const log = useAuditLog();
  const evidence = useEvidence();
  const { entry, scan, display, setDisplay, busy: opening, open } = useAuditEntry(findScan, log.setError);
  const report = useReportExport();
  const [selected, setSelected] = useState<Map<string, number>>(new Map());
  const busy = opening || report.busy;
  const ticked = [...selected].map(([findingId, seq]) => ({ findingId, seq }));
  const shown = rowEvidence(log.chain, evidence.report);

  return (
    <div className="audit" data-testid="audit-view">
      <AuditHead
        evidence={shown}
        dbPath={log.dbPath}
        onVerify={() => {
          void evidence.verify();
          void log.reload();
        }}
        selectedCount={selected.size}
        busy={busy}
        onExportSelected={() => void report.exportPdf(ticked, `the ${ticked.length} ticked finding${ticked.length === 1 ? '' : 's'}`)}
      />
      <EvidencePanel evidence={evidence} />
      <AuditFilters filters={log.filters} setFilters={log.setFilters} known={log.known} />
      {log.error ? <div className="inline-error" role="alert" data-testid="audit-error">{log.error}</div> : null}
      {report.note ? (
        <div className={exportNoteClass(report.note, false)} role="status" data-testid={report.note.tone === 'failed' ? 'audit-error' : 'pdf-result'}>{report.note.text}</div>
      ) : null}
      <div className="audit-body">
        <AuditTable rows={log.rows} evidence={shown} currentId={entry?.findingId ?? null} selected={selected} setSelected={setSelected} onOpen={(id) => void open(id)} />
        {entry ? (
          <AuditDetail
            entry={entry}
            evidence={shown}
            scan={scan}
            display={display}
            setDisplay={setDisplay}
            busy={busy}
            onExport={(one) => void report.exportPdf(one, 'this entry')}
          />
        ) : (
          <div className="audit-detail muted">Click an entry to redraw its map and word scores exactly as recorded, or to replay it.</div>
        )}
      </div>
    </div>
  );
}
