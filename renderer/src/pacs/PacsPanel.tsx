import type { RecordedFinding, StudyMatch } from '../../../electron/api/contract';
import { Modal } from '../ui/Modal';
import { isDimse, type SearchForm } from './settings';
import type { Pacs } from './usePacs';

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <label className="field">
      {label}
      {children}
    </label>
  );
}

function NodeFields({ pacs }: { pacs: Pacs }) {
  const { node, setNode } = pacs;
  return (
    <div className="pacs-grid">
      <Field label="Node (DICOMweb root or dimse://AET@host:port)">
        <input data-testid="pacs-url" value={node.url} placeholder="https://pacs.example/dicom-web" onChange={(e) => setNode({ url: e.target.value })} />
      </Field>
      <Field label="Your name (audit log)">
        <input data-testid="pacs-user" value={pacs.user} placeholder="recorded with each transfer" onChange={(e) => pacs.setUser(e.target.value)} />
      </Field>
      {isDimse(node.url) ? (
        <>
          <Field label="Our AE title">
            <input data-testid="pacs-aet" value={node.callingAet} placeholder="CANDOR" maxLength={16} onChange={(e) => setNode({ callingAet: e.target.value })} />
          </Field>
          <Field label="C-MOVE port (empty: C-GET)">
            <input data-testid="pacs-move-port" value={node.movePort} inputMode="numeric" onChange={(e) => setNode({ movePort: e.target.value })} />
          </Field>
        </>
      ) : null}
    </div>
  );
}

const SEARCH_FIELDS: { key: keyof SearchForm; label: string; type?: string }[] = [
  { key: 'patientId', label: 'Patient ID' },
  { key: 'patientName', label: 'Patient name (* wildcard)' },
  { key: 'accession', label: 'Accession' },
  { key: 'from', label: 'Study date from', type: 'date' },
  { key: 'to', label: 'to', type: 'date' },
  { key: 'modality', label: 'Modality (CT, MR, DX…)' },
];

function SearchFields({ pacs }: { pacs: Pacs }) {
  return (
    <form
      className="pacs-grid"
      onSubmit={(e) => {
        e.preventDefault();
        void pacs.runSearch();
      }}
    >
      {SEARCH_FIELDS.map((f) => (
        <Field key={f.key} label={f.label}>
          <input data-testid={`pacs-${f.key}`} type={f.type ?? 'text'} value={pacs.search[f.key]} onChange={(e) => pacs.setSearch({ ...pacs.search, [f.key]: e.target.value })} />
        </Field>
      ))}
      <button type="submit" data-testid="pacs-search" disabled={pacs.searching || !pacs.node.url.trim()}>
        {pacs.searching ? 'Searching…' : 'Search'}
      </button>
    </form>
  );
}

function Results({ matches, busy, onOpen }: { matches: StudyMatch[]; busy: boolean; onOpen: (m: StudyMatch) => void }) {
  if (matches.length === 0) return <p className="muted">No study matches.</p>;
  return (
    <div className="pacs-results">
      <table className="audit-table" data-testid="pacs-results">
        <thead>
          <tr><th>Date</th><th>Patient</th><th>ID</th><th>Mod.</th><th>Accession</th><th>Description</th><th>Inst.</th><th /></tr>
        </thead>
        <tbody>
          {matches.map((m) => (
            <tr key={m.studyUid} data-testid="pacs-study" title={m.studyUid}>
              <td className="nowrap">{m.studyDate ?? ''}</td>
              <td>{m.patientName ?? ''}</td>
              <td>{m.patientId ?? ''}</td>
              <td>{m.modalities.join('/')}</td>
              <td>{m.accession ?? ''}</td>
              <td>{m.description ?? ''}</td>
              <td>{m.instances ?? ''}</td>
              <td><button data-testid="pacs-open" disabled={busy} onClick={() => onOpen(m)}>Open</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Search the hospital archive, open a study into the viewer, send a finding's results back. */
export function PacsPanel({ pacs, findings, onClose }: { pacs: Pacs; findings: RecordedFinding[]; onClose: () => void }) {
  const { transfer, note } = pacs;
  const last = findings.at(-1) ?? null;
  return (
    <Modal label="PACS" testId="pacs-panel" onClose={onClose}>
      <div className="modal-head">
        <h3>PACS: search, open, send</h3>
        <button onClick={onClose} aria-label="Close PACS">Close (Esc)</button>
      </div>
      <div className="pacs">
        <NodeFields pacs={pacs} />
        <SearchFields pacs={pacs} />
        {pacs.matches ? <Results matches={pacs.matches} busy={transfer !== null} onOpen={(m) => void pacs.pull(m)} /> : null}
        {transfer ? (
          <div className="progress" data-testid="pacs-progress">
            <span>{transfer.label}: {transfer.stage}</span>
            <div className="explain-actions">
              <progress max={1} value={transfer.progress} />
              <button data-testid="pacs-cancel" onClick={pacs.cancel}>Cancel</button>
            </div>
          </div>
        ) : null}
        {note ? <div className={note.kind === 'ok' ? 'ok' : 'inline-error'} role={note.kind === 'ok' ? 'status' : 'alert'} data-testid="pacs-message">{note.text}</div> : null}
        <div className="pacs-send">
          <button data-testid="pacs-send" disabled={!last || transfer !== null || !pacs.node.url.trim()} onClick={() => last && void pacs.sendFinding(last.findingId, last.seq)}>
            {last ? `Send results of finding #${last.seq}` : 'Send results'}
          </button>
          <span className="muted small">{last ? 'The finding’s report, filed in its scan’s study (DICOM Encapsulated PDF).' : 'Record a finding first; its results go back to the node.'}</span>
        </div>
      </div>
    </Modal>
  );
}
