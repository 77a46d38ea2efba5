/**
 * What the chain check says about one row of the log: verified, the first broken event, or after
 * it (the chain cannot vouch for an entry once a link before it is broken). Pure, for the table
 * and the detail.
 */
import type { ChainStatus } from '../../../electron/api/contract';

export type RowIntegrity = 'unchecked' | 'verified' | 'broken' | 'unverifiable';

export function rowIntegrity(seq: number, chain: ChainStatus | null): RowIntegrity {
  if (!chain) return 'unchecked';
  if (chain.ok) return 'verified';
  if (chain.firstBroken === null) return 'unverifiable';
  if (seq < chain.firstBroken) return 'verified';
  return seq === chain.firstBroken ? 'broken' : 'unverifiable';
}

/** One line for a row's marker (its tooltip and the detail). */
export function integrityText(seq: number, chain: ChainStatus | null): string {
  switch (rowIntegrity(seq, chain)) {
    case 'verified':
      return `Entry #${seq}: its hash chain is intact.`;
    case 'broken':
      return `Entry #${seq} is where the chain breaks: ${chain?.reason ?? 'no reason given'}.`;
    case 'unverifiable':
      return chain?.firstBroken !== null && chain?.firstBroken !== undefined
        ? `Entry #${seq} comes after the break at entry #${chain.firstBroken}: the chain cannot vouch for it.`
        : `Entry #${seq}: the chain is broken (${chain?.reason ?? 'no reason given'}); it cannot vouch for this entry.`;
    default:
      return 'The chain has not been checked yet.';
  }
}

export const INTEGRITY_MARK: Record<RowIntegrity, string> = { unchecked: '', verified: '✓', broken: '✗', unverifiable: '?' };
