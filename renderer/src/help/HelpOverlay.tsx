import { SHORTCUTS } from './shortcuts';

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal" role="dialog" aria-label="Keyboard shortcuts" data-testid="help-overlay" onClick={(e) => e.stopPropagation()}>
        <div className="modal-head">
          <h3>Keyboard shortcuts</h3>
          <button onClick={onClose} aria-label="Close help">Close (Esc)</button>
        </div>
        <table className="kv">
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.action}>
                <th><kbd>{s.keys}</kbd></th>
                <td>{s.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted">
          Mouse: left-drag window/level (right = wider, down = higher level) · shift- or middle-drag pan · right-drag or
          wheel zoom · double-click fit.
        </p>
      </div>
    </div>
  );
}
