import { useRef, useState } from 'react';
import type { RecordedFinding } from '../../../electron/api/contract';

/** A full hash, selectable, with a Copy button (the clipboard may be refused: then the text is selected for Ctrl+C). */
function Hash({ label, value, testId }: { label: string; value: string; testId: string }) {
  const ref = useRef<HTMLElement>(null);
  const [state, setState] = useState<'idle' | 'copied' | 'selected'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      const sel = window.getSelection();
      if (sel && ref.current) sel.selectAllChildren(ref.current);
      setState('selected');
    }
  };
  return (
    <tr>
      <th>{label}</th>
      <td>
        <code ref={ref} className="hash-full" data-testid={testId}>{value}</code>{' '}
        <button className="copy" onClick={() => void copy()} aria-label={`Copy ${label}`} title={`Copy the full ${label}`}>
          {state === 'copied' ? 'Copied' : state === 'selected' ? 'Selected: Ctrl+C' : 'Copy'}
        </button>
      </td>
    </tr>
  );
}

/** What ties the entry to the model, the inputs and the log: every hash in full. */
export function Provenance({ entry }: { entry: RecordedFinding }) {
  const e = entry.explanation;
  return (
    <table className="kv provenance" data-testid="audit-provenance">
      <tbody>
        <tr>
          <th>Model</th>
          <td>{e.model.name} · on {e.provider}</td>
        </tr>
        <Hash label="Model SHA-256" value={e.model.sha256} testId="audit-model-sha" />
        <Hash label="Scan SHA-256" value={e.input.scanSha256} testId="audit-scan-sha" />
        <Hash label="Report text SHA-256" value={e.input.textSha256} testId="audit-text-sha" />
        <Hash label="Audit event hash" value={entry.eventHash} testId="audit-event-hash" />
        <Hash label="Finding ID" value={entry.findingId} testId="audit-finding-id" />
      </tbody>
    </table>
  );
}
