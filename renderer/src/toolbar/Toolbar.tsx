import type { AppInfo } from '../../../electron/api/contract';
import { ActionButton } from '../actions/ActionButton';
import type { Action } from '../actions/bindings';
import { keysShown, spec, type ActionId } from '../actions/table';

interface Props {
  info: AppInfo | null;
  /** Why the model cannot explain, when it cannot. */
  modelProblem: string | null;
  provider: string | null;
  mode: 'review' | 'audit';
  setMode: (m: 'review' | 'audit') => void;
  actions: Record<ActionId, Action>;
  path: string;
  setPath: (p: string) => void;
  busy: boolean;
  onOpen: () => void;
  onBrowse: (() => void) | null;
}

/** One row: the model and where it runs, review or audit, export, the path to open, help. */
export function Toolbar({ info, modelProblem, provider, mode, setMode, actions, path, setPath, busy, onOpen, onBrowse }: Props) {
  const model = info?.model;
  const modelText = modelProblem && !model ? `no model: ${modelProblem}` : modelProblem ? `model unavailable: ${modelProblem}` : model ? `model ${model.name} · ${model.sha256.slice(0, 12)}` : 'loading…';
  return (
    <header className="toolbar" data-testid="toolbar">
      <strong>Candor</strong>
      <span className={modelProblem ? 'model-info model-problem' : 'muted model-info'} data-testid="model-info" title={modelProblem ?? model?.dir ?? ''} role={modelProblem ? 'status' : undefined}>
        {modelText}
      </span>
      <span className="badge provider" data-testid="provider" title="Where the model runs">{provider ? `provider: ${provider.toUpperCase()}` : ''}</span>
      <div className="mode-switch">
        <button className={mode === 'review' ? 'active' : ''} data-testid="review-tab" onClick={() => setMode('review')}>Review</button>
        <button className={mode === 'audit' ? 'active' : ''} data-testid="audit-tab" onClick={() => setMode('audit')} title={spec('audit').help}>
          Audit log <kbd>{keysShown(spec('audit'))}</kbd>
        </button>
      </div>
      <ActionButton action={actions.pacs} />
      <ActionButton action={actions.exportPdf} />
      <form
        className="open-form"
        onSubmit={(e) => {
          e.preventDefault();
          onOpen();
        }}
      >
        <input aria-label="Scan path" data-testid="path-input" value={path} placeholder="/path/to/scan.dcm or .png" onChange={(e) => setPath(e.target.value)} />
        <button type="submit" data-testid="open-button" disabled={busy}>Open</button>
        {onBrowse ? <button type="button" onClick={onBrowse}>Browse…</button> : null}
      </form>
      <ActionButton action={actions.help} hint={false} />
    </header>
  );
}
