import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { FramePixels, ScanSummary } from '../../../electron/api/contract';
import { mapProblem, renderHeatmap, sampleMap } from '../overlay/heatmap';
import { fitTransform, screenToImage, zoomAbout, type ViewTransform } from './transform';
import { downsample, levelFor, prepareFrame, renderPrepared, type PreparedFrame, type Window } from './windowing';

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
  /** Shown in the corner, e.g. the method of the overlay in a side-by-side comparison. */
  label?: string;
  /** Prefix of the test ids, so two viewers side by side stay distinguishable. */
  idPrefix?: string;
}

interface Readout {
  x: number;
  y: number;
  value: string;
  attribution: number | null;
}

function formatValue(frame: FramePixels, x: number, y: number, units: string): string {
  const i = y * frame.width + x;
  if (frame.channels === 3) {
    const p = frame.pixels;
    return `RGB ${p[i * 3]} ${p[i * 3 + 1]} ${p[i * 3 + 2]}`;
  }
  const v = frame.pixels[i]!;
  const shown = Number.isInteger(v) ? String(v) : v.toFixed(2);
  return units ? `${shown} ${units}` : shown;
}

/**
 * Scan viewer in the conventions of OHIF / Weasis / RadiAnt: left-drag window/level (right =
 * wider, down = higher level), middle- or shift-drag pan, right-drag or wheel zoom, double-click fit.
 */
export function Viewer({ scan, frame, display, onDisplay, overlay, label, idPrefix = '' }: Props) {
  const stageRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const imageRef = useRef<ImageData | null>(null);
  const lutRef = useRef<Uint32Array | undefined>(undefined);
  const drag = useRef<{ mode: 'window' | 'pan' | 'zoom'; x: number; y: number; start: Display } | null>(null);
  const [readout, setReadout] = useState<Readout | null>(null);
  const [overlayError, setOverlayError] = useState<string | null>(null);
  const { win, invert, transform } = display;

  // Reduced levels are made on first need and kept with the frame.
  const levels = useMemo(() => new Map<number, PreparedFrame>(), [frame]);
  const level = transform ? levelFor(transform.zoom, window.devicePixelRatio || 1) : 0;
  const prepared = useMemo(() => {
    let p = levels.get(level);
    if (!p) {
      const d = downsample(frame.pixels, frame.width, frame.height, frame.channels, 2 ** level);
      p = prepareFrame(d.pixels, d.width, d.height, frame.channels, scan.pixelPadding);
      levels.set(level, p);
    }
    return p;
  }, [levels, level, frame, scan.pixelPadding]);

  // Fit on first show and whenever the parent asks for it by clearing the transform.
  const transformNow = useRef(transform);
  transformNow.current = transform;
  const frameSize = useRef({ w: frame.width, h: frame.height });
  frameSize.current = { w: frame.width, h: frame.height };
  useLayoutEffect(() => {
    if (transform) return;
    const stage = stageRef.current;
    if (!stage) return;
    const r = stage.getBoundingClientRect();
    onDisplay((d) => ({ ...d, transform: fitTransform(frame.width, frame.height, r.width, r.height) }));
  }, [transform, frame.width, frame.height, onDisplay]);

  // A fitted image stays fitted when the viewport changes size (panels, window, side by side):
  // if the transform is the fit of the old size, it becomes the fit of the new one.
  useEffect(() => {
    const stage = stageRef.current;
    if (!stage || typeof ResizeObserver === 'undefined') return;
    const first = stage.getBoundingClientRect();
    let last = { w: first.width, h: first.height };
    const ro = new ResizeObserver(() => {
      const r = stage.getBoundingClientRect();
      const prev = last;
      last = { w: r.width, h: r.height };
      const t = transformNow.current;
      if (!t || (prev.w === r.width && prev.h === r.height)) return;
      const { w, h } = frameSize.current;
      const oldFit = fitTransform(w, h, prev.w, prev.h);
      const close = (a: number, b: number) => Math.abs(a - b) < 0.5;
      if (Math.abs(t.zoom / oldFit.zoom - 1) < 1e-6 && close(t.panX, oldFit.panX) && close(t.panY, oldFit.panY)) {
        onDisplay((d) => ({ ...d, transform: fitTransform(w, h, r.width, r.height) }));
      }
    });
    ro.observe(stage);
    return () => ro.disconnect();
  }, [onDisplay]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const t0 = performance.now();
    const { width, height } = prepared;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    let image = imageRef.current;
    if (!image || image.width !== width || image.height !== height) {
      image = ctx.createImageData(width, height);
      imageRef.current = image;
    }
    if (!lutRef.current || lutRef.current.length < prepared.bins) lutRef.current = new Uint32Array(prepared.bins);
    renderPrepared(prepared, win, invert, new Uint32Array(image.data.buffer), lutRef.current);
    ctx.putImageData(image, 0, 0);
    canvas.dataset.renderMs = (performance.now() - t0).toFixed(2);
    canvas.dataset.window = `${win.center}/${win.width}`;
    canvas.dataset.level = String(level);
  }, [prepared, level, win, invert]);

  useEffect(() => {
    const canvas = overlayRef.current;
    if (!canvas || !overlay) return;
    const problem = mapProblem(overlay.map);
    setOverlayError(problem);
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    canvas.width = overlay.map.width;
    canvas.height = overlay.map.height;
    if (problem) return;
    const image = ctx.createImageData(overlay.map.width, overlay.map.height);
    renderHeatmap(overlay.map.values, overlay, image.data);
    ctx.putImageData(image, 0, 0);
  }, [overlay]);

  const toImage = useCallback(
    (clientX: number, clientY: number) => {
      const stage = stageRef.current;
      if (!stage || !transform) return null;
      const r = stage.getBoundingClientRect();
      const p = screenToImage(transform, clientX - r.left, clientY - r.top);
      return { x: Math.floor(p.x), y: Math.floor(p.y), sx: clientX - r.left, sy: clientY - r.top };
    },
    [transform],
  );

  const range = Math.max(1, scan.valueRange.max - scan.valueRange.min);
  const onPointerDown = (e: React.PointerEvent<HTMLDivElement>) => {
    const mode = e.button === 1 || (e.button === 0 && e.shiftKey) ? 'pan' : e.button === 2 ? 'zoom' : e.button === 0 ? 'window' : null;
    if (!mode) return;
    // preventDefault stops the mouse events that would move focus, so leave any text field
    // here: keyboard shortcuts must reach the viewer, not type into the report.
    e.preventDefault();
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { mode, x: e.clientX, y: e.clientY, start: display };
  };
  const onPointerMove = (e: React.PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    const p = toImage(e.clientX, e.clientY);
    if (p && p.x >= 0 && p.y >= 0 && p.x < frame.width && p.y < frame.height) {
      const attribution = overlay && !overlayError ? sampleMap(overlay.map, frame.width, frame.height, p.x, p.y) : null;
      setReadout({ x: p.x, y: p.y, value: formatValue(frame, p.x, p.y, scan.units), attribution });
    } else setReadout(null);
    if (!d) return;
    const dx = e.clientX - d.x, dy = e.clientY - d.y;
    if (d.mode === 'window') {
      // One screen pixel moves the window by 1/500 of the value range, as in common viewers.
      const k = range / 500;
      onDisplay((cur) => ({ ...cur, win: { center: d.start.win.center + dy * k, width: Math.max(1, d.start.win.width + dx * k) } }));
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
    drag.current = null;
  };

  // React's onWheel is passive; zooming must stop the page from scrolling, so listen directly.
  useEffect(() => {
    const stage = stageRef.current;
    if (!stage) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = stage.getBoundingClientRect();
      const factor = Math.exp(-e.deltaY / 500);
      onDisplay((cur) => (cur.transform ? { ...cur, transform: zoomAbout(cur.transform, factor, e.clientX - r.left, e.clientY - r.top) } : cur));
    };
    stage.addEventListener('wheel', onWheel, { passive: false });
    return () => stage.removeEventListener('wheel', onWheel);
  }, [onDisplay]);

  const t = transform;
  const layerStyle: React.CSSProperties = {
    width: frame.width,
    height: frame.height,
    transform: t ? `translate(${t.panX}px, ${t.panY}px) scale(${t.zoom})` : undefined,
    visibility: t ? 'visible' : 'hidden',
  };
  const pixelated = t !== null && t.zoom >= 2;

  return (
    <div className="viewer-pane">
      <div
        ref={stageRef}
        className="viewer-stage"
        data-testid={`${idPrefix}viewer-stage`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
        onPointerLeave={() => setReadout(null)}
        onDoubleClick={() => onDisplay((d) => ({ ...d, transform: null }))}
        onContextMenu={(e) => e.preventDefault()}
      >
        <div className="scan-layer" style={layerStyle}>
          <canvas
            ref={canvasRef}
            data-testid={`${idPrefix}scan-canvas`}
            className={pixelated ? 'scan-canvas pixelated' : 'scan-canvas'}
          />
          {overlay ? (
            <canvas
              ref={overlayRef}
              data-testid={`${idPrefix}overlay-canvas`}
              className="overlay-canvas"
              style={{ display: overlay.visible && !overlayError ? 'block' : 'none' }}
            />
          ) : null}
        </div>
        {label ? <div className="viewer-label" data-testid={`${idPrefix}viewer-label`}>{label}</div> : null}
        <div className="viewer-corner" data-testid={`${idPrefix}wl`}>
          W {Math.round(win.width)} / L {Math.round(win.center)}
          {invert ? ' · inverted' : ''}
          {t ? ` · ${Math.round(t.zoom * 100)}%` : ''}
        </div>
        <div className="viewer-readout" data-testid={`${idPrefix}pixel-readout`}>
          {readout
            ? `(${readout.x}, ${readout.y}) ${readout.value}` +
              (readout.attribution !== null ? ` · attribution ${readout.attribution.toFixed(3)}` : '')
            : ' '}
        </div>
        {overlayError ? (
          <div className="viewer-warning" role="alert" data-testid={`${idPrefix}overlay-error`}>
            Overlay not drawn: {overlayError}. Run the explanation again; if it repeats, the model bundle is at fault.
          </div>
        ) : null}
      </div>
    </div>
  );
}
