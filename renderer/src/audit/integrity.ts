/**
 * What the evidence says about one row of the log: covered (the chain intact and a trusted
 * signature or an anchor vouches for it), intact but uncovered, the first broken event, or after it
 * (nothing can vouch for an entry once a link before it is broken). Pure, for the table and the
 * detail. A plain chain status (the listing's) knows no coverage: intact rows are 'verified' there.
 */
import type { ChainStatus, VerifyReport } from '../../../electron/api/contract';
import { eventBreak } from './evidence';

export type RowIntegrity = 'unchecked' | 'verified' | 'uncovered' | 'broken' | 'unverifiable';
export type Evidence = ChainStatus | VerifyReport;

export function isReport(e: Evidence): e is VerifyReport {
  return 'verdict' in e;
}

/** Where the evidence breaks (an event), why, and whether it breaks at all. */
function breakOf(e: Evidence): { seq: number | null; reason: string } | null {
  if (!isReport(e)) return e.ok ? null : { seq: e.firstBroken, reason: e.reason ?? 'no reason given' };
  const b = eventBreak(e);
  return b ? { seq: b.seq, reason: b.reason } : null;
}

export function rowIntegrity(seq: number, e: Evidence | null): RowIntegrity {
  if (!e) return 'unchecked';
  const b = breakOf(e);
  if (b && b.seq === null) return 'unverifiable';
  if (b && seq >= b.seq!) return seq === b.seq ? 'broken' : 'unverifiable';
  if (!isReport(e)) return 'verified';
  return e.coverage.covered && seq <= e.coverage.covered.to ? 'verified' : 'uncovered';
}

/** One line for a row's marker (its tooltip and the detail). */
export function integrityText(seq: number, e: Evidence | null): string {
  const b = e ? breakOf(e) : null;
  switch (rowIntegrity(seq, e)) {
    case 'verified':
      return e && isReport(e) ? `Entry #${seq}: its hash chain is intact and a trusted signature or an anchor covers it.` : `Entry #${seq}: its hash chain is intact.`;
    case 'uncovered':
      return `Entry #${seq}: its hash chain is intact, but no trusted signature or anchor covers it (it could have been rewritten together with the entries after it).`;
    case 'broken':
      return `Entry #${seq} is where the chain breaks: ${b?.reason ?? 'no reason given'}.`;
    case 'unverifiable':
      return b?.seq !== null && b?.seq !== undefined
        ? `Entry #${seq} comes after the break at entry #${b.seq}: the chain cannot vouch for it.`
        : `Entry #${seq}: the chain is broken (${b?.reason ?? 'no reason given'}); it cannot vouch for this entry.`;
    default:
      return 'The chain has not been checked yet.';
  }
}

export const INTEGRITY_MARK: Record<RowIntegrity, string> = { unchecked: '', verified: '✓', uncovered: '○', broken: '✗', unverifiable: '?' };

/** The newer word on the rows: the verify report, unless a listing since found the chain broken. */
export function rowEvidence(listed: ChainStatus | null, report: VerifyReport | null): Evidence | null {
  if (listed && !listed.ok && (!report || report.ok)) return listed;
  return report ?? listed;
}
