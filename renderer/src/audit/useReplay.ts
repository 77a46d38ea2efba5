import { useCallback, useEffect, useRef, useState } from 'react';
import type { ReplayReport } from '../../../electron/api/contract';
import { call } from '../api';
import { errorMessage } from '../errors';

/**
 * "Replay" for one recorded finding: its explanation run again by the main process with the
 * configured model, on the scan open in this session with the recorded SHA-256, or on the file the
 * user names, and compared with the record.
 */
export function useReplay(findingId: string) {
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<ReplayReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const current = useRef(findingId);

  useEffect(() => {
    current.current = findingId;
    setReport(null);
    setError(null);
    setBusy(false);
  }, [findingId]);

  const replay = useCallback(async () => {
    const scanPath = path.trim();
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      const r = await call('audit:replay', scanPath ? { findingId, scanPath } : { findingId });
      if (current.current === findingId) setReport(r);
    } catch (err) {
      if (current.current === findingId) setError(`Not replayed: ${errorMessage(err)}`);
    } finally {
      if (current.current === findingId) setBusy(false);
    }
  }, [findingId, path]);

  return { path, setPath, busy, report, error, replay };
}

export type Replay = ReturnType<typeof useReplay>;
