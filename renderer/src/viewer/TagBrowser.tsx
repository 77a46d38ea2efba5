import type { ScanSummary } from '../../../electron/api/contract';
import { rangeLabel } from './presets';
import { Modal } from '../ui/Modal';

/** The scan's header fields as the imaging service reports them. */
export function TagBrowser({ scan, onClose }: { scan: ScanSummary; onClose: () => void }) {
  const rows: [string, string][] = [
    ['File', scan.path],
    ['Format', scan.format.toUpperCase()],
    ['Modality', scan.modality ?? '—'],
    ['Columns × Rows', `${scan.width} × ${scan.height}`],
    ['Number of Frames', String(scan.frames)],
    ['Samples per Pixel', String(scan.channels)],
    ['Photometric Interpretation', scan.photometric],
    ['Bits Stored', String(scan.bitsStored)],
    ['Value units', scan.units || '—'],
    ['Value range (frame 1)', rangeLabel(scan.valueRange)],
    ['Window presets', scan.windows.map((w) => `${w.name}: C ${w.center} W ${w.width}`).join('; ') || '—'],
    ["Patient's Name", scan.patient.name ?? '—'],
    ['Patient ID', scan.patient.id ?? '—'],
    ['Study Date', scan.patient.studyDate ?? '—'],
    ['Study Description', scan.patient.studyDescription ?? '—'],
    ['SHA-256 of the file', scan.sha256],
  ];
  return (
    <Modal label="Tags" testId="tag-browser" onClose={onClose}>
        <div className="modal-head">
          <h3>Tags · {scan.fileName}</h3>
          <button onClick={onClose}>Close (Esc)</button>
        </div>
        <table className="kv">
          <tbody>
            {rows.map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                <td className="mono">{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
    </Modal>
  );
}
