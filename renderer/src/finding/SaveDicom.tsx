import type { ObjectKind, RecordedFinding } from '../../../electron/api/contract';
import { useSaveDicom } from './useSaveDicom';

const KIND_LABELS: Record<ObjectKind, string> = {
  'parametric-map': 'parametric map',
  segmentation: 'segmentation',
  'secondary-capture': 'secondary capture',
  'structured-report': 'structured report',
};

/** Writes a recorded finding as DICOM objects (in the exports folder the app chooses) and says where. */
export function SaveDicom({ finding }: { finding: RecordedFinding }) {
  const { busy, saved, error, save } = useSaveDicom(finding.findingId);
  return (
    <div className="save-dicom" data-testid="save-dicom-panel">
      <button
        data-testid="save-dicom"
        disabled={busy}
        onClick={() => void save()}
        title="Write this finding as DICOM objects in the scan's study (parametric map, segmentation, overlay capture, structured report) into the app's exports folder"
      >
        {busy ? 'Saving…' : saved ? 'Save as DICOM again' : 'Save as DICOM'}
      </button>
      {saved ? (
        <div className="ok" data-testid="dicom-result">
          Saved {saved.objects.length} DICOM object{saved.objects.length === 1 ? '' : 's'} ({saved.objects.map((o) => KIND_LABELS[o.kind]).join(', ')}) in{' '}
          <code data-testid="dicom-folder">{saved.folder}</code>
          {saved.notes.map((n) => (
            <div key={n} className="note">{n}</div>
          ))}
        </div>
      ) : null}
      {error ? <div className="inline-error" role="alert" data-testid="dicom-error">{error}</div> : null}
    </div>
  );
}
