import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import type { FramePixels, Region, ScanSummary } from '../../../electron/api/contract';
import type { Point, RegionTool } from '../region/drawing';
import { RegionLayer } from '../region/RegionLayer';
import { useRegionDraft } from '../region/useRegionDraft';
import { readoutAt, readoutText, type Readout } from './readout';
import { screenToImage, zoomAbout, type ViewTransform } from './transform';
import { useCanvases } from './useCanvases';
import { useStageFit } from './useStageFit';
import { windowLabel } from './presets';
import type { Window } from './windowing';

export interface Display {
  win: Window;
  invert: boolean;
  /** null until the viewer has measured itself and fitted the image. */
  transform: ViewTransform | null;
}

export interface OverlayInput {
  map: { width: number; height: number; values: Float32Array };
  opacity: number;
  threshold: number;
  visible: boolean;
}

interface Props {
  scan: ScanSummary;
  frame: FramePixels;
  display: Display;
  onDisplay: (update: (d: Display) => Display) => void;
  overlay: OverlayInput | null;
  /** Smooth (bilinear) scaling, as diagnostic viewers default to; false draws nearest-neighbour blocks. */
  smooth?: boolean;
  /** Shown in the corner, e.g. the method of the overlay in a side-by-side comparison. */
  label?: string;
  /** A warning about the map drawn (a failed sanity check), shown over the scan. */
  badge?: string;
  /** Prefix of the test ids, so two viewers side by side stay distinguishable. */
  idPrefix?: string;
  /** The viewer's element, for the workspace to measure and focus. */
  stageRef?: RefObject<HTMLDivElement | null>;
  /** The reader's region, drawn in scan coordinates. */
  region?: Region | null;
  /** With a tool on and onRegion given, a left-drag draws a region instead of changing window/level. */
  regionTool?: RegionTool;
  onRegion?: (r: Region) => void;
}

/**
 * Scan viewer in the conventions of OHIF / Weasis / RadiAnt: left-drag window/level (right =
 * wider, down = higher level), middle- or shift-drag pan, right-drag or wheel zoom, double-click fit.
 */
export function Viewer({ scan, frame, display, onDisplay, overlay, smooth = true, label, badge, idPrefix = '', stageRef: outerRef, region = null, regionTool = 'off', onRegion }: Props) {
  const ownRef = useRef<HTMLDivElement>(null);
  const stageRef = outerRef ?? ownRef;
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const drag = useRef<{ mode: 'window' | 'pan' | 'zoom' | 'region'; x: number; y: number; start: Display } | null>(null);
  /** Where the mouse rests over the viewer (client coordinates), to keep the readout true when the view, frame or file changes under it. */
  const pointer = useRef<{ x: number; y: number } | null>(null);
  const [readout, setReadout] = useState<Readout | null>(null);
  const { win, invert, transform } = display;
  const draft = useRegionDraft(regionTool, onRegion);
  const scanPoint = (e: React.PointerEvent): Point | null => {
    const stage = stageRef.current;
    if (!stage || !transform) return null;
    const r = stage.getBoundingClientRect();
    const p = screenToImage(transform, e.clientX - r.left, e.clientY - r.top);
    return [p.x, p.y];
  };

  useStageFit(stageRef, transform, { width: frame.width, height: frame.height }, onDisplay);
  const overlayError = useCanvases(canvasRef, overlayRef, frame, scan.pixelPadding, transform?.zoom ?? null, win, invert, overlay);

  const map = overlay && !overlayError ? overlay.map : null;
  const updateReadout = useCallback(() => {
    const stage = stageRef.current;
    const at = pointer.current;
    if (!stage || !at) {
      setReadout(null);
      return;
    }
    const r = stage.getBoundingClientRect();
    setReadout(readoutAt(frame, scan.units, transform, map, at.x - r.left, at.y - r.top));
  }, [stageRef, frame, scan.units, transform, map]);
  useEffect(() => {
    updateReadout();
  }, [updateReadout]);

  // Fractional data (an RT Dose in Gy) spans less than 1: the drag and its floor scale with the range.
  const range = scan.valueRange.max - scan.valueRange.min || 1;
  const onPointerDown = (e: React.PointerEvent<HTMLDivElement>) => {
    const mode = e.button === 1 || (e.button === 0 && e.shiftKey) ? 'pan' : e.button === 2 ? 'zoom' : e.button === 0 ? (draft.active ? 'region' : 'window') : null;
    if (!mode) return;
    if (mode === 'region') {
      const p = scanPoint(e);
      if (p) draft.begin(p);
    }
    // preventDefault stops the mouse events that would move focus, so focus the viewer itself:
    // keyboard shortcuts must reach the viewer, not type into the report.
    e.preventDefault();
    stageRef.current?.focus({ preventScroll: true });
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { mode, x: e.clientX, y: e.clientY, start: display };
  };
  const onPointerMove = (e: React.PointerEvent<HTMLDivElement>) => {
    pointer.current = { x: e.clientX, y: e.clientY };
    updateReadout();
    const d = drag.current;
    if (!d) return;
    const dx = e.clientX - d.x, dy = e.clientY - d.y;
    if (d.mode === 'region') {
      const p = scanPoint(e);
      if (p && transform) draft.extend(p, transform.zoom);
    } else if (d.mode === 'window') {
      // One screen pixel moves the window by 1/500 of the value range, as in common viewers.
      const k = range / 500;
      onDisplay((cur) => ({ ...cur, win: { center: d.start.win.center + dy * k, width: Math.max(range / 4096, d.start.win.width + dx * k) } }));
    } else if (d.mode === 'pan' && d.start.transform) {
      const t = d.start.transform;
      onDisplay((cur) => ({ ...cur, transform: { ...t, panX: t.panX + dx, panY: t.panY + dy } }));
    } else if (d.mode === 'zoom' && d.start.transform) {
      const stage = stageRef.current!.getBoundingClientRect();
      const t = d.start.transform;
      onDisplay((cur) => ({ ...cur, transform: zoomAbout(t, Math.exp(-dy / 200), d.x - stage.left, d.y - stage.top) }));
    }
  };
  const endDrag = () => {
    if (drag.current?.mode === 'region') draft.finish();
    drag.current = null;
  };
  const onPointerLeave = () => {
    pointer.current = null;
    setReadout(null);
  };

  const t = transform;
  const layerStyle: React.CSSProperties = {
    width: frame.width,
    height: frame.height,
    transform: t ? `translate(${t.panX}px, ${t.panY}px) scale(${t.zoom})` : undefined,
    visibility: t ? 'visible' : 'hidden',
  };

  return (
    <div className="viewer-pane">
      <div
        ref={stageRef}
        className="viewer-stage"
        data-testid={`${idPrefix}viewer-stage`}
        tabIndex={0}
        aria-label={`Scan viewer: ${scan.fileName}`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
        onPointerLeave={onPointerLeave}
        onDoubleClick={() => onDisplay((d) => ({ ...d, transform: null }))}
        onContextMenu={(e) => e.preventDefault()}
      >
        <div className="scan-layer" style={layerStyle}>
          <canvas ref={canvasRef} data-testid={`${idPrefix}scan-canvas`} className={smooth ? 'scan-canvas' : 'scan-canvas pixelated'} />
          {overlay ? (
            <canvas
              ref={overlayRef}
              data-testid={`${idPrefix}overlay-canvas`}
              className="overlay-canvas"
              style={{ display: overlay.visible && !overlayError ? 'block' : 'none' }}
            />
          ) : null}
          <RegionLayer width={frame.width} height={frame.height} region={region} draft={draft.points ? { points: draft.points, tool: regionTool } : null} idPrefix={idPrefix} />
        </div>
        {label ? <div className="viewer-label" data-testid={`${idPrefix}viewer-label`}>{label}</div> : null}
        {badge ? <div className="viewer-badge" role="alert" data-testid={`${idPrefix}sanity-badge`}>⚠ {badge}</div> : null}
        <div className="viewer-corner" data-testid={`${idPrefix}wl`}>
          {windowLabel(win, scan.valueRange)}
          {invert ? ' · inverted' : ''}
          {t ? ` · ${Math.round(t.zoom * 100)}%` : ''}
        </div>
        <div className="viewer-readout" data-testid={`${idPrefix}pixel-readout`}>{readoutText(readout)}</div>
        {overlayError ? (
          <div className="viewer-warning" role="alert" data-testid={`${idPrefix}overlay-error`}>
            Overlay not drawn: {overlayError}. Run the explanation again; if it repeats, the model bundle is at fault.
          </div>
        ) : null}
      </div>
    </div>
  );
}
