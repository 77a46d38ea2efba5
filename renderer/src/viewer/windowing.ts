/** Modality values → display bytes (DICOM PS3.3 C.11.2.1.2 linear VOI), kept pure for tests and workers. */
export interface Window {
  center: number;
  width: number;
}

export function renderToRgba(
  pixels: Float32Array,
  channels: 1 | 3,
  win: Window,
  invert: boolean,
  out: Uint8ClampedArray,
): void {
  const n = out.length / 4;
  if (channels === 3) {
    for (let i = 0; i < n; i++) {
      const r = pixels[i * 3]!, g = pixels[i * 3 + 1]!, b = pixels[i * 3 + 2]!;
      out[i * 4] = invert ? 255 - r : r;
      out[i * 4 + 1] = invert ? 255 - g : g;
      out[i * 4 + 2] = invert ? 255 - b : b;
      out[i * 4 + 3] = 255;
    }
    return;
  }
  const w = Math.max(1, win.width);
  const lo = win.center - 0.5 - (w - 1) / 2;
  const scale = 255 / Math.max(1e-9, w - 1);
  for (let i = 0; i < n; i++) {
    let v = (pixels[i]! - lo) * scale;
    v = v < 0 ? 0 : v > 255 ? 255 : v;
    if (invert) v = 255 - v;
    const o = i * 4;
    out[o] = v;
    out[o + 1] = v;
    out[o + 2] = v;
    out[o + 3] = 255;
  }
}

export function defaultWindow(range: { min: number; max: number }): Window {
  const width = Math.max(1, range.max - range.min);
  return { center: range.min + width / 2, width };
}
