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

export interface ExportNote {
  ok: boolean;
  text: string;
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
      const entries = `${findings.length === 1 ? 'entry' : 'entries'} ${entryList(findings.map((f) => f.seq))}`;
      setNote({ ok: true, text: `PDF written: ${res.path} (${Math.round(res.bytes / 1024)} KiB) — ${what}, ${entries}` });
    } catch (err) {
      setNote({ ok: false, text: `PDF not written: ${errorMessage(err)}` });
    } finally {
      setBusy(false);
    }
  }, []);

  return { exportPdf, busy, note, clear: () => setNote(null) };
}
