import { useCallback, useEffect, useRef, useState } from 'react';
import type { SavedDicom } from '../../../electron/api/contract';
import { call } from '../api';
import { errorMessage } from '../errors';

/** "Save as DICOM" for one recorded finding: the main process chooses the folder and says where it wrote. */
export function useSaveDicom(findingId: string) {
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<SavedDicom | null>(null);
  const [error, setError] = useState<string | null>(null);
  const inFlight = useRef(false);

  useEffect(() => {
    setSaved(null);
    setError(null);
  }, [findingId]);

  const save = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setError(null);
    try {
      setSaved(await call('finding:dicom', { findingId }));
    } catch (err) {
      setError(`Not saved as DICOM: ${errorMessage(err)}`);
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  }, [findingId]);

  return { busy, saved, error, save };
}
