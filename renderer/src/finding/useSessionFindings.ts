import { useCallback, useState } from 'react';
import type { RecordedFinding } from '../../../electron/api/contract';
import { useReportExport } from '../session/useReportExport';

/** The findings recorded in this window since it opened, and their export to one PDF from the toolbar. */
export function useSessionFindings() {
  const [recorded, setRecorded] = useState<RecordedFinding[]>([]);
  const report = useReportExport();
  const { exportPdf: exportFindings } = report;

  const add = useCallback((f: RecordedFinding) => setRecorded((l) => [...l, f]), []);
  const exportPdf = useCallback(() => exportFindings(recorded, `the ${recorded.length} finding${recorded.length === 1 ? '' : 's'} recorded in this session`), [recorded, exportFindings]);

  return { recorded, add, exportPdf, exportNote: report.note };
}
