/**
 * What a VerifyReport says, in the words an auditor reads: the verdict as one sentence, the event
 * range cut into runs (covered by a trusted signature, by an anchor, by both, by nothing, broken,
 * missing), each anchor's result and each signer. Pure, for the head, the strip and the tests.
 */
import type { AnchorCheck, EvidenceBreak, EvidenceBreakCode, SignerSummary, VerifyReport } from '../../../electron/api/contract';

/** "event 3", "events 1–9". */
export function eventRange(from: number, to: number): string {
  return from === to ? `event ${from}` : `events ${from}–${to}`;
}

/** The last part of a path (anchors-folder files arrive by their full path). */
export function baseName(source: string): string {
  return source.split(/[\\/]/).pop() || source;
}

/** Codes that say events themselves were changed or lost (the others are about keys and signatures). */
const EVENT_CODES: ReadonlySet<EvidenceBreakCode> = new Set(['edited', 'deleted', 'inserted', 'reordered', 'payload', 'corrupt', 'rewritten', 'other-log']);

/** The first event from which nothing can be vouched for, with why: the earliest break that names a changed event in the log. */
export function eventBreak(r: VerifyReport): EvidenceBreak | null {
  const inLog = r.breaks.filter((b) => EVENT_CODES.has(b.code) && b.seq !== null && b.seq <= r.coverage.events);
  return inLog.reduce<EvidenceBreak | null>((first, b) => (first === null || b.seq! < first.seq! ? b : first), null);
}

export type RunKind = 'both' | 'signature' | 'anchor' | 'uncovered' | 'broken' | 'missing';

export interface CoverageRun {
  kind: RunKind;
  from: number;
  to: number;
}

export const RUN_LABELS: Record<RunKind, string> = {
  both: 'trusted signature and anchor',
  signature: 'trusted signature',
  anchor: 'anchor only',
  uncovered: 'not covered',
  broken: 'broken',
  missing: 'missing (truncated)',
};

/** The log's events 1..N as runs of one kind each, in order; events a truncation removed follow as `missing`. */
export function coverageRuns(r: VerifyReport): CoverageRun[] {
  const n = r.coverage.events;
  const reach = r.coverage.covered?.to ?? 0;
  const sig = Math.min(r.coverage.bySignature, reach);
  const anc = Math.min(r.coverage.byAnchor, reach);
  const broken = eventBreak(r)?.seq ?? n + 1;
  const kindAt = (seq: number): RunKind =>
    seq >= broken ? 'broken' : seq <= sig && seq <= anc ? 'both' : seq <= sig ? 'signature' : seq <= anc ? 'anchor' : 'uncovered';
  const cuts = [...new Set([1, sig + 1, anc + 1, broken, n + 1])].filter((c) => c >= 1 && c <= n + 1).sort((a, b) => a - b);
  const runs: CoverageRun[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const run = { kind: kindAt(cuts[i]!), from: cuts[i]!, to: cuts[i + 1]! - 1 };
    const last = runs[runs.length - 1];
    if (last && last.kind === run.kind) last.to = run.to;
    else runs.push(run);
  }
  const missingTo = Math.max(0, ...r.breaks.map((b) => (b.missing && b.missing.to > n ? b.missing.to : 0)));
  if (missingTo > n) runs.push({ kind: 'missing', from: n + 1, to: missingTo });
  return runs;
}

/** The anchor that reaches furthest among those that match, and how many others match. */
function bestAnchor(anchors: readonly AnchorCheck[]): { name: string; others: number } | null {
  const ok = anchors.filter((a) => a.ok).sort((a, b) => b.seq - a.seq);
  return ok.length ? { name: baseName(ok[0]!.source), others: ok.length - 1 } : null;
}

/** "events 1–12 by a trusted signature, events 1–9 also by anchor report-3.pdf" (what vouches for the covered events). */
function coveredBy(r: VerifyReport): string {
  const reach = r.coverage.covered?.to ?? 0;
  const sig = Math.min(r.coverage.bySignature, reach);
  const anc = Math.min(r.coverage.byAnchor, reach);
  const best = bestAnchor(r.anchors);
  const anchorName = best ? `anchor ${best.name}${best.others ? ` (and ${best.others} more)` : ''}` : 'an anchor';
  const parts: string[] = [];
  if (sig > 0) parts.push(`${eventRange(1, sig)} by a trusted signature`);
  if (anc > 0) parts.push(`${eventRange(1, anc)} ${sig > 0 ? 'also ' : ''}by ${anchorName}`);
  return parts.join(', ');
}

export interface Headline {
  /** VERIFIED, NOT COVERED, UNPROTECTED, or "BROKEN at event 3". */
  label: string;
  text: string;
}

/** The verdict as a word and one plain sentence: what is covered and by what, or where and why it breaks. */
export function headline(r: VerifyReport): Headline {
  const n = r.coverage.events;
  const plural = (k: number) => `${k} event${k === 1 ? '' : 's'}`;
  switch (r.verdict) {
    case 'broken': {
      const first = r.breaks[0];
      const at = first && first.seq !== null && first.seq <= n ? ` at event ${first.seq}` : '';
      const more = r.breaks.length > 1 ? ` (${r.breaks.length} problems in all, listed below)` : '';
      return { label: `BROKEN${at}`, text: `${first?.reason ?? r.reason ?? 'no reason given'}${more}` };
    }
    case 'uncovered': {
      const u = r.coverage.uncovered!;
      const what = u.from === 1 && u.to === n
        ? `${n === 1 ? 'The only event is not' : `None of the ${plural(n)} is`} covered by any trusted signature or anchor`
        : `${eventRange(u.from, u.to).replace(/^e/, 'E')} ${u.from === u.to ? 'is' : 'are'} not covered by any trusted signature or anchor; covered: ${coveredBy(r)}`;
      return { label: 'NOT COVERED', text: `${what}. The hash chain itself is intact.` };
    }
    case 'unprotected':
      return { label: 'UNPROTECTED', text: `All ${plural(n)} covered: ${coveredBy(r)}; but the file's append-only protections were removed (${r.missingProtections.join(', ')}).` };
    default:
      return { label: 'VERIFIED', text: n === 0 ? 'The log is empty.' : `All ${plural(n)} covered: ${coveredBy(r)}.` };
  }
}

/** One anchor's result: "matches", "rewritten at event 3", "truncated: events 5–6 missing", … */
export function anchorResult(a: AnchorCheck): string {
  const p = a.problem;
  if (!p) return 'matches';
  switch (p.code) {
    case 'rewritten':
      return `rewritten at event ${p.seq}`;
    case 'truncated':
      return p.missing ? `truncated: ${eventRange(p.missing.from, p.missing.to)} missing` : 'truncated';
    case 'other-log':
      return 'from another log (or this log was rewritten from its start)';
    case 'bad-signature':
      return 'its signature is not valid (altered or forged)';
    case 'untrusted-key':
      return 'signed by a key that is not pinned';
    default:
      return p.reason;
  }
}

/** What the anchor remembers: "PDF report: entries #2, #3; chain head #3". */
export function anchorHolds(a: AnchorCheck): string {
  const what = a.kind === 'pdf' ? 'PDF report' : 'checkpoint';
  const entries = a.entries.length ? `entries ${a.entries.map((s) => `#${s}`).join(', ')}; ` : '';
  const where = a.local ? ', in the anchors folder' : '';
  return `${what}${where}: ${entries}chain head #${a.seq}`;
}

/** "3f2a9c01d4e5b6a7…" (SHA-256 of the public key, first 16 hex). */
export function shortKey(fingerprint: string): string {
  return `${fingerprint.slice(0, 16)}…`;
}

/** One signer: pinned or not, how many signatures, how far it vouches. */
export function signerText(s: SignerSummary): string {
  const who = `${s.trusted ? 'pinned' : 'NOT pinned'} key ${shortKey(s.fingerprint)}${s.label ? ` (${s.label})` : ''}`;
  const count = `${s.signatures} signature${s.signatures === 1 ? '' : 's'}, newest over event ${s.latestSeq}`;
  const vouches = s.coversTo > 0 ? `vouches for ${eventRange(1, s.coversTo)}` : 'vouches for nothing';
  return `${who}: ${count}; ${vouches}`;
}
