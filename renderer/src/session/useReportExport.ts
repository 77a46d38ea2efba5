import { useCallback, useState } from 'react';
import { call } from '../api';
import { errorMessage } from '../errors';

/** Audit entry numbers as a short list: "#2", "#2, #5–#7". */
export function entryList(seqs: readonly number[]): string {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `#${sorted[i]}–#${sorted[j]}` : `#${sorted[i]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** written: the file is on disk; not-saved: the user closed the save dialog (said quietly); failed: the reason. */
export interface ExportNote {
  tone: 'written' | 'not-saved' | 'failed';
  text: string;
}

/** The answer of report:pdf in words: where the file went, or that none was written and why. */
export function exportNoteFor(res: { path: string | null; bytes: number; cancelled: boolean }, what: string, seqs: readonly number[]): ExportNote {
  if (res.cancelled) return { tone: 'not-saved', text: `Not saved: the save dialog was closed (${what}).` };
  if (res.path === null) return { tone: 'failed', text: `PDF not written: no file was named for ${what}.` };
  const entries = `${seqs.length === 1 ? 'entry' : 'entries'} ${entryList(seqs)}`;
  return { tone: 'written', text: `PDF written: ${res.path} (${Math.max(1, Math.round(res.bytes / 1024))} KiB) — ${what}, ${entries}` };
}

/** The class a note is shown with: green when written, plain when not saved, red when failed. */
export function exportNoteClass(note: ExportNote, bar: boolean): string {
  const base = note.tone === 'written' ? 'ok' : note.tone === 'not-saved' ? 'muted' : bar ? 'error' : 'inline-error';
  return bar && note.tone !== 'failed' ? `${base} bar` : base;
}

/** Exports findings to one PDF (the main process names the file by their entry numbers) and says what was written. */
export function useReportExport() {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<ExportNote | null>(null);

  const exportPdf = useCallback(async (findings: readonly { findingId: string; seq: number }[], what: string) => {
    if (findings.length === 0) return;
    setBusy(true);
    try {
      const res = await call('report:pdf', { findingIds: findings.map((f) => f.findingId) });
      setNote(exportNoteFor(res, what, findings.map((f) => f.seq)));
    } catch (err) {
      setNote({ tone: 'failed', text: `PDF not written: ${errorMessage(err)}` });
    } finally {
      setBusy(false);
    }
  }, []);

  return { exportPdf, busy, note, clear: () => setNote(null) };
}
