import { useMemo, type RefObject } from 'react';
import { methodLabel, type Explanation } from '../../../electron/api/contract';
import type { Action } from '../actions/bindings';
import type { ActionId } from '../actions/table';
import { drawableMap } from '../explain/attribution';
import { LocalisationPanel } from '../region/RegionFigures';
import { RegionTools } from '../region/RegionTools';
import type { RegionState } from '../region/useRegion';
import { sanityBadge } from '../explain/SanityResult';
import type { ScanSession } from '../session/useScanSession';
import { OverlayBar } from './OverlayBar';
import type { OverlayStyle } from './useOverlayStyle';
import { Viewer, type OverlayInput } from './Viewer';
import { ViewerBar } from './ViewerBar';

interface Props {
  session: ScanSession;
  actions: Record<ActionId, Action>;
  style: OverlayStyle;
  explanation: Explanation | null;
  comparison: Explanation | null;
  smooth: boolean;
  stageRef: RefObject<HTMLDivElement | null>;
  region: RegionState;
}

function useOverlay(e: Explanation | null, style: OverlayStyle): OverlayInput | null {
  const { opacity, threshold, visible } = style;
  return useMemo(() => {
    const map = e ? drawableMap(e).map : null;
    return map ? { map, opacity, threshold, visible } : null;
  }, [e, opacity, threshold, visible]);
}

/** The scan on screen: its title, the viewer's controls, and one viewer (two when comparing methods). */
export function ViewerArea({ session, actions, style, explanation, comparison, smooth, stageRef, region }: Props) {
  const overlay = useOverlay(explanation, style);
  const compareOverlay = useOverlay(comparison, style);
  const { current, frame, display, studyTitle } = session;
  if (!current || !frame || !display) {
    return <div className="placeholder">{session.busy ? 'Opening…' : 'Open a scan to begin: type its path above or pick a study on the left.'}</div>;
  }
  const scan = current.summary;
  const regionProps = { region: region.region, regionTool: region.tool, onRegion: region.setRegion };
  const methods = [explanation, comparison].filter((e): e is Explanation => e !== null).map((e) => e.method);
  return (
    <>
      <div className="scan-title" data-testid="scan-title" title={scan.path}>
        {studyTitle ? `${studyTitle} — ` : ''}{scan.fileName} · {scan.width}×{scan.height} · {scan.format.toUpperCase()}
        {scan.modality ? ` · ${scan.modality}` : ''}
      </div>
      <ViewerBar actions={actions} presets={session.presets} win={display.win} onDisplay={session.onDisplay} range={scan.valueRange} frames={session.frames} frameNo={session.frameNo} setFrameNo={session.setFrameNo} />
      {overlay || compareOverlay ? <OverlayBar style={style} /> : null}
      <div className={comparison ? 'viewers two' : 'viewers'}>
        <Viewer scan={scan} frame={frame} display={display} onDisplay={session.onDisplay} overlay={overlay} smooth={smooth} label={explanation ? methodLabel(explanation.method) : undefined} badge={sanityBadge(explanation)} stageRef={stageRef} {...regionProps} />
        {comparison ? (
          <Viewer scan={scan} frame={frame} display={display} onDisplay={session.onDisplay} overlay={compareOverlay} smooth={smooth} label={methodLabel(comparison.method)} badge={sanityBadge(comparison)} idPrefix="compare-" {...regionProps} />
        ) : null}
        <RegionTools actions={actions} />
      </div>
      {region.region && methods.length ? <LocalisationPanel region={region.region} results={region.results} methods={methods} error={region.error} /> : null}
    </>
  );
}
