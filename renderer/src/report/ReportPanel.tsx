import { useCallback, useEffect, useMemo, useRef } from 'react';
import type { Reports } from '../session/useReports';
import { splitSentences } from './text';

const NO_REPORT = 'No report for this scan — type or paste it';

/** The scan's report, its sentences as buttons to explain one at a time, and the selection to explain. */
export function ReportPanel({ reports, hasScan, running, onExplain }: { reports: Reports; hasScan: boolean; running: boolean; onExplain: (text: string) => void }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const { text, setSelection } = reports;
  const sentences = useMemo(() => splitSentences(text), [text]);

  // React's onSelect misses selections set by code or by some input methods, so the textarea's
  // own select / selectionchange events are read as well.
  const readSelection = useCallback(() => {
    const t = ref.current;
    if (!t) return;
    setSelection(t.selectionEnd > t.selectionStart ? { start: t.selectionStart, end: t.selectionEnd } : null);
  }, [setSelection]);
  useEffect(() => {
    const t = ref.current;
    if (!t) return;
    t.addEventListener('select', readSelection);
    t.addEventListener('selectionchange', readSelection);
    return () => {
      t.removeEventListener('select', readSelection);
      t.removeEventListener('selectionchange', readSelection);
    };
  }, [readSelection]);

  return (
    <section className="panel-section" data-testid="report-panel">
      <h3>Report</h3>
      <textarea
        ref={ref}
        aria-label="Report text"
        data-testid="report-text"
        value={text}
        rows={4}
        placeholder={hasScan ? NO_REPORT : 'Open a scan first'}
        onChange={(e) => reports.edit(e.target.value)}
        onSelect={readSelection}
        onKeyUp={readSelection}
        onMouseUp={readSelection}
      />
      {hasScan && text.trim() === '' ? <div className="muted small" data-testid="report-notice">{NO_REPORT}.</div> : null}
      <div className="sentences" data-testid="sentences">
        {sentences.map((s) => (
          <button key={s.start} className="sentence" data-testid="sentence" title="Explain this sentence" disabled={running} onClick={() => onExplain(s.text)}>
            {s.text}
          </button>
        ))}
      </div>
    </section>
  );
}
