import { useEffect, useLayoutEffect, useRef, type RefObject } from 'react';
import { fitTransform, zoomAbout, type ViewTransform } from './transform';
import type { Display } from './Viewer';

/**
 * Keeps the image fitted to the viewer: on first show and whenever the transform is cleared, and
 * (when it was fitted) as the viewer changes size. Also the wheel zoom, which must stop the page
 * from scrolling, so it listens directly (React's onWheel is passive).
 */
export function useStageFit(
  stageRef: RefObject<HTMLDivElement | null>,
  transform: ViewTransform | null,
  size: { width: number; height: number },
  onDisplay: (update: (d: Display) => Display) => void,
): void {
  const transformNow = useRef(transform);
  transformNow.current = transform;
  const frameSize = useRef(size);
  frameSize.current = size;

  useLayoutEffect(() => {
    if (transform) return;
    const stage = stageRef.current;
    if (!stage) return;
    const r = stage.getBoundingClientRect();
    onDisplay((d) => ({ ...d, transform: fitTransform(size.width, size.height, r.width, r.height) }));
  }, [stageRef, transform, size.width, size.height, onDisplay]);

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
      const { width: w, height: h } = frameSize.current;
      const oldFit = fitTransform(w, h, prev.w, prev.h);
      const close = (a: number, b: number) => Math.abs(a - b) < 0.5;
      if (Math.abs(t.zoom / oldFit.zoom - 1) < 1e-6 && close(t.panX, oldFit.panX) && close(t.panY, oldFit.panY)) {
        onDisplay((d) => ({ ...d, transform: fitTransform(w, h, r.width, r.height) }));
      }
    });
    ro.observe(stage);
    return () => ro.disconnect();
  }, [stageRef, onDisplay]);

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
  }, [stageRef, onDisplay]);
}
