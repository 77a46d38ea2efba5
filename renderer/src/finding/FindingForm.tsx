import { forwardRef, useImperativeHandle, useState } from 'react';
import { DECISIONS, type Decision, type Explanation, type RecordedFinding } from '../../../electron/api/contract';
import { call } from '../api';

const REVIEWER_KEY = 'candor.reviewer';

function rememberedReviewer(): string {
  try {
    return localStorage.getItem(REVIEWER_KEY) ?? '';
  } catch {
    return '';
  }
}

export interface FindingFormHandle {
  record(): void;
}

interface Props {
  explanation: Explanation | null;
  studyLabel: string;
  onRecorded: (f: RecordedFinding) => void;
}

/** The reviewer's judgement of the model's explanation, saved with it to the audit log. */
export const FindingForm = forwardRef<FindingFormHandle, Props>(function FindingForm({ explanation, studyLabel, onRecorded }, ref) {
  const [reviewer, setReviewer] = useState(rememberedReviewer);
  const [decision, setDecision] = useState<Decision | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<RecordedFinding | null>(null);

  const problem = !explanation
    ? 'Explain the report first: a finding is recorded together with its explanation.'
    : !reviewer.trim()
      ? 'Enter your name.'
      : !decision
        ? 'Choose agree, disagree or uncertain.'
        : null;

  const record = async () => {
    if (problem || !explanation || !decision) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      try {
        localStorage.setItem(REVIEWER_KEY, reviewer.trim());
      } catch {
        // Storage may be disabled; remembering the name is a convenience only.
      }
      const f = await call('finding:record', { explanationId: explanation.id, reviewer: reviewer.trim(), decision, note, studyLabel });
      setSaved(f);
      setNote('');
      onRecorded(f);
    } catch (err) {
      setError(`Not saved: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };
  useImperativeHandle(ref, () => ({ record: () => void record() }));

  return (
    <section className="panel-section" data-testid="finding-form">
      <h3>Record a finding</h3>
      <label className="field">
        Reviewer
        <input data-testid="reviewer" value={reviewer} onChange={(e) => setReviewer(e.target.value)} placeholder="Your name" />
      </label>
      <div className="decisions" role="radiogroup" aria-label="Decision on the model's explanation">
        {DECISIONS.map((d) => (
          <label key={d} className={decision === d ? 'decision chosen' : 'decision'}>
            <input type="radio" name="decision" data-testid={`decision-${d}`} checked={decision === d} onChange={() => setDecision(d)} />
            {d}
          </label>
        ))}
      </div>
      <textarea
        data-testid="note"
        aria-label="Note"
        placeholder="Note (optional)"
        rows={3}
        value={note}
        onChange={(e) => setNote(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void record();
          }
        }}
      />
      <button data-testid="record-finding" disabled={busy} onClick={() => void record()} title={problem ?? 'Save to the audit log (Ctrl+Enter)'}>
        {busy ? 'Saving…' : 'Record finding'}
      </button>
      {error ? <div className="inline-error" role="alert" data-testid="finding-error">{error}</div> : null}
      {saved ? (
        <div className="ok" data-testid="finding-result">
          Saved as entry #{saved.seq} by {saved.reviewer} ({saved.decision}) · hash {saved.eventHash.slice(0, 12)}
        </div>
      ) : null}
    </section>
  );
});
