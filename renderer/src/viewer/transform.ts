/** Pan and zoom of the scan in the viewport: screen = pan + zoom · image (CSS pixels). */
export interface ViewTransform {
  zoom: number;
  panX: number;
  panY: number;
}

export const MIN_ZOOM = 0.02;
export const MAX_ZOOM = 40;

export function clampZoom(z: number): number {
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
}

/** The whole image visible and centred. */
export function fitTransform(imageW: number, imageH: number, viewW: number, viewH: number): ViewTransform {
  const zoom = clampZoom(Math.min(viewW / Math.max(1, imageW), viewH / Math.max(1, imageH)));
  return { zoom, panX: (viewW - imageW * zoom) / 2, panY: (viewH - imageH * zoom) / 2 };
}

/** One image pixel per CSS pixel, keeping the viewport centre on the same image point. */
export function actualSizeTransform(t: ViewTransform, viewW: number, viewH: number): ViewTransform {
  return zoomAbout(t, 1 / t.zoom, viewW / 2, viewH / 2);
}

/** Zooms by `factor` keeping the image point under (sx, sy) fixed on screen. */
export function zoomAbout(t: ViewTransform, factor: number, sx: number, sy: number): ViewTransform {
  const zoom = clampZoom(t.zoom * factor);
  const k = zoom / t.zoom;
  return { zoom, panX: sx - (sx - t.panX) * k, panY: sy - (sy - t.panY) * k };
}

export function screenToImage(t: ViewTransform, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - t.panX) / t.zoom, y: (sy - t.panY) / t.zoom };
}
