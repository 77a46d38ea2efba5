import { ActionButton } from '../actions/ActionButton';
import { applyPreset, type Action, type ActionContext } from '../actions/bindings';
import { actionsAt, keysShown, spec, type ActionId } from '../actions/table';
import { presetTitle, windowLabel, type LabelledPreset } from './presets';
import type { Window } from './windowing';

interface Props {
  actions: Record<ActionId, Action>;
  presets: LabelledPreset[];
  win: Window;
  onDisplay: ActionContext['onDisplay'];
  /** The scan's value range: labels are written at its precision. */
  range: { min: number; max: number };
  frames: number;
  frameNo: number;
  setFrameNo: (n: number) => void;
}

/** The viewer's controls in one row: window presets (a list, however many the scan has), display actions, cine. */
export function ViewerBar({ actions, presets, win, onDisplay, range, frames, frameNo, setFrameNo }: Props) {
  const current = presets.findIndex((p) => (p.lut ? win.lut === p.lut : !win.lut && p.center === win.center && p.width === win.width));
  return (
    <div className="viewer-bar" data-testid="viewer-bar">
      <label className="small preset-field" title={`${spec('preset').help} (${keysShown(spec('preset'))})`}>
        Window
        <select data-testid="preset-select" value={current} onChange={(e) => presets[Number(e.target.value)] && applyPreset(onDisplay, presets[Number(e.target.value)]!)}>
          {current < 0 ? <option value={-1}>custom: {windowLabel(win, range)}</option> : null}
          {presets.map((p, i) => (
            <option key={p.name + i} value={i} data-testid="preset" title={presetTitle(p, range)}>
              {p.key ? `${p.key} · ` : ''}{p.name}
            </option>
          ))}
        </select>
      </label>
      {actionsAt('viewer').filter((a) => a.id !== 'cine').map((a) => <ActionButton key={a.id} action={actions[a.id]} />)}
      {frames > 1 ? (
        <span className="cine" data-testid="cine">
          <ActionButton action={actions.cine} />
          <input type="range" min={1} max={frames} value={frameNo} data-testid="frame-slider" aria-label="Frame" onChange={(e) => setFrameNo(Number(e.target.value))} />
          <span data-testid="frame-number">{frameNo} / {frames}</span>
        </span>
      ) : null}
    </div>
  );
}
