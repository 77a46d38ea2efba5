/**
 * The overlay colour map, shared by the PDF report and the renderer so a map looks the same
 * on screen and on paper. Viridis: perceptually uniform, readable in grayscale print and by
 * readers with the common colour-vision deficiencies.
 */
export type Rgb = [number, number, number];

/** matplotlib's viridis sampled at 0, 1/9, …, 1 (the published ten-step palette). */
export const VIRIDIS_STOPS: readonly Rgb[] = [
  [0x44, 0x01, 0x54],
  [0x48, 0x28, 0x78],
  [0x3e, 0x49, 0x89],
  [0x31, 0x68, 0x8e],
  [0x26, 0x82, 0x8e],
  [0x1f, 0x9e, 0x89],
  [0x35, 0xb7, 0x79],
  [0x6e, 0xce, 0x58],
  [0xb5, 0xde, 0x2b],
  [0xfd, 0xe7, 0x25],
];

/** Colour for t in [0, 1] (clamped; NaN maps to 0), 8-bit RGB. */
export function viridis(t: number): Rgb {
  const v = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const pos = v * (VIRIDIS_STOPS.length - 1);
  const i = Math.min(VIRIDIS_STOPS.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = VIRIDIS_STOPS[i];
  const b = VIRIDIS_STOPS[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** 256-entry RGB lookup table (index = round(t·255)), for fast per-pixel use in canvases. */
export function viridisLut(): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(viridis(i / 255), i * 3);
  return lut;
}

/** CSS colour string for t, e.g. for word shading in the renderer. */
export function viridisCss(t: number, alpha = 1): string {
  const [r, g, b] = viridis(t);
  return alpha >= 1 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** Overlay opacity for a map value: cold regions leave the scan visible, hot ones show the colour. */
export function overlayAlpha(t: number, maxAlpha = 0.7): number {
  const v = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  return maxAlpha * v;
}
