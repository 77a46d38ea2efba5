import { readableSanity, SANITY_FAILED, type Explanation } from '../../../electron/api/contract';

/** The badge over a map whose sanity check failed (review and audit viewers). */
export function sanityBadge(e: Explanation | null): string | undefined {
  return e?.sanity?.image && !e.sanity.image.passed ? SANITY_FAILED : undefined;
}

/** The sanity check's figures per side, a failed side saying what it means (the viewer shows the badge). */
export function SanityResult({ explanation, idPrefix = '' }: { explanation: Explanation; idPrefix?: string }) {
  const { lines, rule } = readableSanity(explanation.sanity);
  if (lines.length === 0) return null;
  return (
    <div className="sanity-result" data-testid={`${idPrefix}sanity-result`} title={rule}>
      <div className="small"><b>Sanity check (MPRT)</b></div>
      {lines.map((l) => (
        <div key={l.side} className={l.passed ? 'small sanity-passed' : 'small sanity-failed'} data-testid={`${idPrefix}sanity-${l.side}`} data-passed={String(l.passed)}>
          {l.passed ? '✓' : '⚠'} {l.label} — {l.value}
        </div>
      ))}
    </div>
  );
}
