import { headline } from './evidence';
import { isReport, type Evidence } from './integrity';

interface Props {
  /** The verify report, or the listing's chain status where that is newer and broken (rowEvidence). */
  evidence: Evidence | null;
  dbPath: string;
  onVerify: () => void;
  selectedCount: number;
  busy: boolean;
  onExportSelected: () => void;
}

const VERDICT_CLASS = { verified: 'chain ok', uncovered: 'chain warn', unprotected: 'chain warn', broken: 'chain broken' } as const;

function verdictOf(e: Evidence | null): { cls: string; label: string; text: string; verdict: string } {
  if (e && isReport(e)) return { cls: VERDICT_CLASS[e.verdict], ...headline(e), verdict: e.verdict };
  if (e && !e.ok) return { cls: 'chain broken', label: `BROKEN${e.firstBroken !== null ? ` at event ${e.firstBroken}` : ''}`, text: e.reason ?? 'the chain does not verify', verdict: 'broken' };
  return { cls: 'chain', label: 'CHECKING', text: 'the chain, its signatures and anchors…', verdict: 'unchecked' };
}

/** The log's title, the evidence's verdict in one plain sentence, and the log-wide actions. */
export function AuditHead({ evidence, dbPath, onVerify, selectedCount, busy, onExportSelected }: Props) {
  const v = verdictOf(evidence);
  return (
    <div className="audit-head">
      <h2>Audit log</h2>
      <span className={v.cls} data-testid="chain-status" data-verdict={v.verdict} title={evidence && isReport(evidence) ? `${dbPath}\n${evidence.summary}` : dbPath} role={v.verdict === 'broken' ? 'alert' : undefined}>
        <strong>{v.label}</strong> — {v.text}
      </span>
      <button onClick={onVerify} data-testid="verify-chain" title="Check the chain, the signatures and every anchor again">Verify again</button>
      <button data-testid="export-pdf" disabled={selectedCount === 0 || busy} onClick={onExportSelected} title="Export the ticked findings to one PDF, named by their entry numbers">
        Export ticked to PDF ({selectedCount})
      </button>
    </div>
  );
}
