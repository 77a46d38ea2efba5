import { useCallback, useState } from 'react';
import type { RecordedFinding } from '../../../electron/api/contract';
import { call } from '../api';
import { errorMessage } from '../errors';

/** The findings recorded in this window, and their export to one PDF from the toolbar. */
export function useSessionFindings() {
  const [recorded, setRecorded] = useState<RecordedFinding[]>([]);
  const [exportNote, setExportNote] = useState<string | null>(null);

  const add = useCallback((f: RecordedFinding) => setRecorded((l) => [...l, f]), []);
  const exportPdf = useCallback(async () => {
    if (recorded.length === 0) return;
    try {
      const res = await call('report:pdf', { findingIds: recorded.map((f) => f.findingId) });
      setExportNote(`PDF written: ${res.path} (${Math.round(res.bytes / 1024)} KiB)`);
    } catch (err) {
      setExportNote(`PDF not written: ${errorMessage(err)}`);
    }
  }, [recorded]);

  return { recorded, add, exportPdf, exportNote };
}
