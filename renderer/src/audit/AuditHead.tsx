import type { ChainStatus } from '../../../electron/api/contract';

interface Props {
  chain: ChainStatus | null;
  dbPath: string;
  onVerify: () => void;
  selectedCount: number;
  busy: boolean;
  onExportSelected: () => void;
}

function chainText(chain: ChainStatus | null): string {
  if (!chain) return 'Chain: not checked yet';
  if (chain.ok) return `Chain verified: ${chain.events} events intact`;
  const where = chain.firstBroken !== null ? ` at entry #${chain.firstBroken}` : '';
  return `Chain BROKEN${where}: ${chain.reason ?? 'unknown reason'}. Entries from there on cannot be verified (marked in the table).`;
}

/** The log's title, the chain's verdict and the log-wide actions. */
export function AuditHead({ chain, dbPath, onVerify, selectedCount, busy, onExportSelected }: Props) {
  return (
    <div className="audit-head">
      <h2>Audit log</h2>
      <span className={chain ? (chain.ok ? 'chain ok' : 'chain broken') : 'chain'} data-testid="chain-status" title={dbPath} role={chain && !chain.ok ? 'alert' : undefined}>
        {chainText(chain)}
      </span>
      <button onClick={onVerify} data-testid="verify-chain">Verify again</button>
      <button data-testid="export-pdf" disabled={selectedCount === 0 || busy} onClick={onExportSelected} title="Export the ticked findings to one PDF, named by their entry numbers">
        Export ticked to PDF ({selectedCount})
      </button>
    </div>
  );
}
