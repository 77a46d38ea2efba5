import { useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type { FramePixels } from '../../../electron/api/contract';
import { mapProblem, renderHeatmap } from '../overlay/heatmap';
import { downsample, levelFor, prepareFrame, renderPrepared, type PreparedFrame, type Window } from './windowing';
import type { OverlayInput } from './Viewer';

/**
 * Draws the windowed scan and the attribution overlay into their canvases. The scan is drawn at
 * the reduction level the zoom needs (levels made on first need and kept with the frame), so a
 * window drag touches no more pixels than the screen shows. Returns why the overlay is not drawn.
 */
export function useCanvases(
  scanCanvas: RefObject<HTMLCanvasElement | null>,
  overlayCanvas: RefObject<HTMLCanvasElement | null>,
  frame: FramePixels,
  padding: { min: number; max: number } | null,
  zoom: number | null,
  win: Window,
  invert: boolean,
  overlay: OverlayInput | null,
): string | null {
  const imageRef = useRef<ImageData | null>(null);
  const lutRef = useRef<Uint32Array | undefined>(undefined);
  const [overlayError, setOverlayError] = useState<string | null>(null);

  const levels = useMemo(() => new Map<number, PreparedFrame>(), [frame]);
  const level = zoom ? levelFor(zoom, window.devicePixelRatio || 1) : 0;
  const prepared = useMemo(() => {
    let p = levels.get(level);
    if (!p) {
      const d = downsample(frame.pixels, frame.width, frame.height, frame.channels, 2 ** level);
      p = prepareFrame(d.pixels, d.width, d.height, frame.channels, padding);
      levels.set(level, p);
    }
    return p;
  }, [levels, level, frame, padding]);

  useEffect(() => {
    const canvas = scanCanvas.current;
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
  }, [scanCanvas, prepared, level, win, invert]);

  useEffect(() => {
    const canvas = overlayCanvas.current;
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
  }, [overlayCanvas, overlay]);

  return overlay ? overlayError : null;
}
