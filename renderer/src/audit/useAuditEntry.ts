import { useCallback, useState } from 'react';
import type { FramePixels, RecordedFinding, ScanSummary } from '../../../electron/api/contract';
import { call } from '../api';
import { errorMessage } from '../errors';
import { drawableMap } from '../explain/attribution';
import type { OpenedScan } from '../studies/scanStore';
import { initialWindow } from '../viewer/presets';
import type { Display } from '../viewer/Viewer';
import type { EntryScan } from './AuditDetail';

/** A stand-in when the recorded scan is not at hand: the map still redraws, over black. */
function blankScan(width: number, height: number, sha256: string): { summary: ScanSummary; frame: FramePixels } {
  const summary: ScanSummary = {
    id: 'unavailable', path: '', fileName: 'scan not available', format: 'png', width, height, frames: 1, channels: 1,
    photometric: 'MONOCHROME2', bitsStored: 8, modality: null, units: '', invertedByDefault: false,
    valueRange: { min: 0, max: 1 }, pixelPadding: null, windows: [], sha256,
    patient: { name: null, id: null, studyDate: null, studyDescription: null },
  };
  return { summary, frame: { scanId: 'unavailable', frame: 1, width, height, channels: 1, pixels: new Float32Array(width * height) } };
}

/** The entry opened in the detail: the recorded finding, and its scan (open in this session) or a black stand-in. */
export function useAuditEntry(findScan: (sha256: string) => Promise<OpenedScan | null>, onError: (message: string | null) => void) {
  const [entry, setEntry] = useState<RecordedFinding | null>(null);
  const [scan, setScan] = useState<EntryScan | null>(null);
  const [display, setDisplay] = useState<Display | null>(null);
  const [busy, setBusy] = useState(false);

  const open = useCallback(async (findingId: string) => {
    setBusy(true);
    try {
      const f = await call('audit:get', { findingId });
      setEntry(f);
      const map = drawableMap(f.explanation).map;
      const opened = await findScan(f.explanation.input.scanSha256);
      const frameNo = f.explanation.input.frame;
      const frame = opened ? (opened.frames.get(frameNo) ?? opened.frames.get(1) ?? null) : null;
      if (opened && frame) {
        setScan({ summary: opened.summary, frame, found: true });
        setDisplay({ win: initialWindow(opened.summary), invert: opened.summary.invertedByDefault, transform: null });
      } else if (map) {
        const b = blankScan(map.width, map.height, f.explanation.input.scanSha256);
        setScan({ ...b, found: false });
        setDisplay({ win: { center: 0.5, width: 1 }, invert: false, transform: null });
      } else setScan(null);
      onError(null);
    } catch (err) {
      // Not the previous entry under this one's row: a tampered finding is refused by the store, and says so.
      setEntry(null);
      setScan(null);
      onError(`The entry could not be opened: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }, [findScan, onError]);

  return { entry, scan, display, setDisplay, busy, open };
}
