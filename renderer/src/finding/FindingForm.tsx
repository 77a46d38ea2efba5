import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from 'react';
import { DECISIONS, type Decision, type Explanation, type RecordedFinding, type Region } from '../../../electron/api/contract';
import { keysShown, spec } from '../actions/table';
import { call } from '../api';
import { errorMessage } from '../errors';
import { SaveDicom } from './SaveDicom';

const REVIEWER_KEY = 'candor.reviewer';
const RECORD = spec('recordFinding');

function rememberedReviewer(): string {
  try {
    return localStorage.getItem(REVIEWER_KEY) ?? '';
  } catch {
    return '';
  }
}

export interface FindingFormHandle {
  /** Records the finding, once per explanation unless `again` says the reviewer means another. */
  record(again?: boolean): void;
}

interface Props {
  explanation: Explanation | null;
  /** Identifies the scan on screen: another scan starts a fresh form. */
  scanKey: string | null;
  studyLabel: string;
  /** The reader's region: recorded with the finding, its figures computed again by the main process. */
  region: Region | null;
  onRecorded: (f: RecordedFinding) => void;
}

/** The reviewer's judgement of the model's explanation, saved with it to the audit log. */
export const FindingForm = forwardRef<FindingFormHandle, Props>(function FindingForm({ explanation, scanKey, studyLabel, region, onRecorded }, ref) {
  const [reviewer, setReviewer] = useState(rememberedReviewer);
  const [decision, setDecision] = useState<Decision | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<RecordedFinding | null>(null);
  // "Record again" first says what it does: the explanation is already an entry of the log.
  const [confirmAgain, setConfirmAgain] = useState(false);
  // Two presses in one frame (a key and a click) must not both reach the service.
  const inFlight = useRef(false);

  // A new explanation is a new finding: nothing is ticked or saved for it yet; another scan also clears the note.
  const explanationId = explanation?.id ?? null;
  useEffect(() => {
    setDecision(null);
    setSaved(null);
    setError(null);
    setConfirmAgain(false);
  }, [explanationId]);
  useEffect(() => {
    setNote('');
  }, [scanKey]);

  const problem = !explanation
    ? 'Explain the report first: a finding is recorded together with its explanation.'
    : !reviewer.trim()
      ? 'Enter your name.'
      : !decision
        ? 'Choose agree, disagree or uncertain.'
        : null;

  const record = async (again = false) => {
    if (inFlight.current) return;
    if (saved && !again) {
      setError(`Already recorded as entry #${saved.seq}. To record another finding for the same explanation, press “Record again”.`);
      return;
    }
    if (problem || !explanation || !decision) {
      setError(problem);
      return;
    }
    inFlight.current = true;
    setBusy(true);
    setError(null);
    setConfirmAgain(false);
    try {
      try {
        localStorage.setItem(REVIEWER_KEY, reviewer.trim());
      } catch {
        // Storage may be disabled; remembering the name is a convenience only.
      }
      const f = await call('finding:record', { explanationId: explanation.id, reviewer: reviewer.trim(), decision, note, studyLabel, ...(again ? { again: true } : {}), ...(region && explanation.image?.map.values.length ? { region } : {}) });
      setSaved(f);
      setNote('');
      onRecorded(f);
    } catch (err) {
      setError(`Not saved: ${errorMessage(err)}`);
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };
  useImperativeHandle(ref, () => ({ record: (again) => void record(again) }));

  return (
    <section className="panel-section finding" data-testid="finding-form">
      <h3>Record a finding</h3>
      <div className="finding-row">
        <input aria-label="Reviewer" data-testid="reviewer" value={reviewer} onChange={(e) => setReviewer(e.target.value)} placeholder="Your name" />
        <div className="decisions" role="radiogroup" aria-label="Decision on the model's explanation">
          {DECISIONS.map((d) => (
            <label key={d} className={decision === d ? 'decision chosen' : 'decision'}>
              <input type="radio" name="decision" data-testid={`decision-${d}`} checked={decision === d} onChange={() => setDecision(d)} />
              {d}
            </label>
          ))}
        </div>
      </div>
      <textarea data-testid="note" aria-label="Note" placeholder="Note (optional)" rows={1} value={note} onChange={(e) => setNote(e.target.value)} />
      <div className="finding-row">
        <button
          data-testid={RECORD.button!.testId}
          disabled={busy || saved !== null}
          onClick={() => void record()}
          title={saved ? `Recorded as entry #${saved.seq}` : (problem ?? `${RECORD.help} (${keysShown(RECORD)})`)}
        >
          {busy ? 'Saving…' : RECORD.label} <kbd>{keysShown(RECORD)}</kbd>
        </button>
        {saved && !confirmAgain ? (
          <button data-testid="record-again" disabled={busy} onClick={() => {
              setError(null);
              setConfirmAgain(true);
            }} title={`This explanation is already entry #${saved.seq}; record another finding for it`}>
            Record again…
          </button>
        ) : null}
      </div>
      {saved && confirmAgain ? (
        <div className="warning-box" role="alertdialog" aria-label="Record again" data-testid="record-again-warning">
          This explanation is already audit entry #{saved.seq}. Recording again adds a second entry for the same explanation; #{saved.seq} stays as it is.
          <div className="finding-row">
            <button data-testid="record-again-confirm" disabled={busy} onClick={() => void record(true)}>Record as a new entry</button>
            <button onClick={() => setConfirmAgain(false)}>Cancel</button>
          </div>
        </div>
      ) : null}
      {error ? <div className="inline-error" role="alert" data-testid="finding-error">{error}</div> : null}
      {saved ? (
        <div className="ok" data-testid="finding-result">
          Saved as entry #{saved.seq} by {saved.reviewer} ({saved.decision}) · hash {saved.eventHash.slice(0, 12)}
        </div>
      ) : null}
      {saved ? <SaveDicom finding={saved} /> : null}
    </section>
  );
});
