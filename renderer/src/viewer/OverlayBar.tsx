import { keysShown, spec } from '../actions/table';
import { ColorBar } from '../overlay/ColorBar';
import type { OverlayStyle } from './useOverlayStyle';

/** How the attribution map is drawn over the scan: shown or not, opacity, threshold, and its colour scale. */
export function OverlayBar({ style }: { style: OverlayStyle }) {
  return (
    <div className="viewer-bar overlay-controls" data-testid="overlay-controls">
      <label className="small" title={spec('toggleOverlay').help}>
        <input type="checkbox" data-testid="overlay-toggle" checked={style.visible} onChange={(e) => style.setVisible(e.target.checked)} /> overlay <kbd>{keysShown(spec('toggleOverlay'))}</kbd>
      </label>
      <label className="small" title={`${spec('opacityUp').help} / down (${keysShown(spec('opacityUp'))} / ${keysShown(spec('opacityDown'))})`}>
        opacity <input type="range" min={0} max={1} step={0.05} value={style.opacity} data-testid="opacity" onChange={(e) => style.setOpacity(Number(e.target.value))} /> {Math.round(style.opacity * 100)}%
      </label>
      <label className="small" title={`${spec('thresholdUp').help} / down (${keysShown(spec('thresholdUp'))} / ${keysShown(spec('thresholdDown'))})`}>
        threshold <input type="range" min={0} max={0.95} step={0.05} value={style.threshold} data-testid="threshold" onChange={(e) => style.setThreshold(Number(e.target.value))} /> {style.threshold.toFixed(2)}
      </label>
      <ColorBar threshold={style.threshold} label="attribution" />
    </div>
  );
}
