import { useRef, useState } from 'react';
import type { AnchorCheck, VerifyReport } from '../../../electron/api/contract';
import { CoverageStrip } from './CoverageStrip';
import { anchorHolds, anchorResult, baseName, shortKey, signerText } from './evidence';
import type { Evidence } from './useEvidence';

function AnchorItem({ a, onRemove }: { a: AnchorCheck; onRemove: (() => void) | null }) {
  return (
    <li className={a.ok ? 'ok-item' : 'bad-item'} data-testid="anchor-check" data-ok={a.ok} title={a.problem?.reason ?? a.source}>
      <span className="integrity-mark">{a.ok ? '✓' : '✗'}</span> <strong>{baseName(a.source)}</strong> <span className="muted">({anchorHolds(a)}
      {a.signedBy ? `; signed by ${a.signedBy.trusted ? 'pinned' : 'NOT pinned'} key ${shortKey(a.signedBy.fingerprint)}` : ''})</span>:{' '}
      <span data-testid="anchor-result">{anchorResult(a)}</span>
      {onRemove ? <button className="copy" onClick={onRemove} aria-label={`Remove ${a.source}`} title="Leave this file out of the check">×</button> : null}
    </li>
  );
}

/** Problems the anchors list does not show already (the chain's, the signatures'), when there is more than the headline's. */
function otherProblems(r: VerifyReport | null): string[] {
  if (!r || r.breaks.length < 2) return [];
  const shown = new Set(r.anchors.map((a) => a.problem?.reason));
  return r.breaks.filter((b) => !shown.has(b.reason)).map((b) => `${b.code}${b.seq !== null ? ` at event ${b.seq}` : ''}: ${b.reason}`);
}

/** Notes that change how far the report can be taken: files refused, problems beyond the anchors', files not read, a private copy. */
function Notes({ report, refused }: { report: VerifyReport | null; refused: string[] }) {
  const notes = [
    ...refused.map((t) => ({ t, bad: true })),
    ...otherProblems(report).map((t) => ({ t, bad: true })),
    ...(report?.unreadableAnchors.length ? [{ t: `Files in the anchors folder that could not be read: ${report.unreadableAnchors.map(baseName).join(', ')}`, bad: true }] : []),
    ...(report?.readOnlyCopy ? [{ t: 'The log is on a read-only medium: a private copy was read.', bad: false }] : []),
  ];
  if (notes.length === 0) return null;
  return (
    <ul className="evidence-notes" data-testid="evidence-notes">
      {notes.map((n) => (
        <li key={n.t} className={n.bad ? 'inline-error' : 'muted'}>{n.t}</li>
      ))}
    </ul>
  );
}

/**
 * The evidence behind the verdict: the coverage strip, every anchor checked (dropped here, chosen
 * with the button, or found in the installation's anchors folder) with its result, and the keys
 * that signed the log. The whole panel takes dropped checkpoint files (.json) and Candor PDF reports.
 */
export function EvidencePanel({ evidence }: { evidence: Evidence }) {
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const r = evidence.report;
  const given = new Set(evidence.anchors.map((a) => a.name));
  const take = (files: FileList | null) => void evidence.add(files ? [...files] : []);
  return (
    <section
      className={over ? 'evidence drop-over' : 'evidence'}
      data-testid="evidence"
      aria-label="Evidence: coverage, anchors, signers"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        take(e.dataTransfer.files);
      }}
    >
      {r ? <CoverageStrip report={r} /> : <p className="muted small">Checking the log…</p>}
      <div className="evidence-cols">
        <div>
          <span className="evidence-title">Anchors</span>
          <span className="drop-hint" data-testid="anchor-drop">
            Drop checkpoint files (.json) or Candor PDF reports here, or{' '}
            <button onClick={() => input.current?.click()} disabled={evidence.busy}>Choose files…</button>
            <input ref={input} type="file" multiple hidden accept=".json,.pdf,application/json,application/pdf" data-testid="anchor-file-input" onChange={(e) => {
                take(e.target.files);
                e.target.value = '';
              }} />
            {evidence.busy ? <span className="muted"> checking…</span> : null}
          </span>
          {r && r.anchors.length ? (
            <ul className="evidence-list" data-testid="anchor-list">
              {r.anchors.map((a, i) => (
                <AnchorItem key={`${a.source}-${i}`} a={a} onRemove={!a.local && given.has(a.source) ? () => evidence.remove(a.source) : null} />
              ))}
            </ul>
          ) : r ? <p className="muted small">None given, none in the installation's anchors folder for this log.</p> : null}
        </div>
        <div>
          <span className="evidence-title" title={r ? `Trusted keys from ${r.trustSource}` : undefined}>Signers</span>
          {r && r.signers.length ? (
            <ul className="evidence-list" data-testid="signer-list">
              {r.signers.map((s) => (
                <li key={s.fingerprint} className={s.trusted ? 'ok-item' : 'bad-item'} data-testid="signer" data-trusted={s.trusted} title={`SHA-256 of the public key: ${s.fingerprint}`}>
                  <span className="integrity-mark">{s.trusted ? '✓' : '✗'}</span> {signerText(s)}
                </li>
              ))}
            </ul>
          ) : r ? <p className="muted small">No signatures in this log.</p> : null}
        </div>
      </div>
      <Notes report={r} refused={evidence.problems} />
    </section>
  );
}
