import { ACTIONS, keysShown } from '../actions/table';
import { Modal } from '../ui/Modal';

/** Every action of the table, with its keys (or where its button is). */
export function HelpOverlay({ onClose }: { onClose: () => void }) {
  return (
    <Modal label="Keyboard shortcuts" testId="help-overlay" onClose={onClose}>
      <div className="modal-head">
        <h3>Keyboard shortcuts</h3>
        <button onClick={onClose} aria-label="Close help">Close (Esc)</button>
      </div>
      <table className="kv">
        <tbody>
          {ACTIONS.map((a) => (
            <tr key={a.id} data-action={a.id}>
              <th>{a.keys.length ? <kbd>{keysShown(a)}</kbd> : <span className="muted">{a.button?.place} button</span>}</th>
              <td>{a.help}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">
        Mouse: left-drag window/level (right = wider, down = higher level) · shift- or middle-drag pan · right-drag or
        wheel zoom · double-click fit.
      </p>
    </Modal>
  );
}
