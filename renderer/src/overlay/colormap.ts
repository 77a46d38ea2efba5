/**
 * The overlay colour map is the PDF report's own (electron/api/colormap.ts, viridis), so a
 * map looks the same on screen and on paper; this module adds what only the screen needs.
 */
import { viridis, viridisCss } from '../../../electron/api/colormap';

export { viridis };

/** 256 RGB triples, index k for value k/255. */
export const VIRIDIS_TABLE: [number, number, number][] = Array.from({ length: 256 }, (_, k) => viridis(k / 255));

export function cssColor(t: number, alpha = 1): string {
  return viridisCss(t, alpha);
}

/** Black or white text, whichever reads better on viridis(t). */
export function textColorOn(t: number): string {
  const [r, g, b] = viridis(t);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 140 ? '#000' : '#fff';
}
