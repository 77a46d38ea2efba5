/** The pixel readout: the modality value (and the attribution) of the scan pixel under a point of the viewer. */
import type { FramePixels } from '../../../electron/api/contract';
import { sampleMap } from '../overlay/heatmap';
import { screenToImage, type ViewTransform } from './transform';

export interface Readout {
  x: number;
  y: number;
  value: string;
  attribution: number | null;
}

export function formatValue(frame: FramePixels, x: number, y: number, units: string): string {
  const i = y * frame.width + x;
  if (frame.channels === 3) {
    const p = frame.pixels;
    return `RGB ${p[i * 3]} ${p[i * 3 + 1]} ${p[i * 3 + 2]}`;
  }
  const v = frame.pixels[i]!;
  const shown = Number.isInteger(v) ? String(v) : v.toFixed(2);
  return units ? `${shown} ${units}` : shown;
}

/** The readout at (sx, sy) in viewer coordinates, or null off the image. */
export function readoutAt(
  frame: FramePixels,
  units: string,
  transform: ViewTransform | null,
  map: { width: number; height: number; values: Float32Array } | null,
  sx: number,
  sy: number,
): Readout | null {
  if (!transform) return null;
  const p = screenToImage(transform, sx, sy);
  const x = Math.floor(p.x), y = Math.floor(p.y);
  if (x < 0 || y < 0 || x >= frame.width || y >= frame.height) return null;
  const attribution = map ? sampleMap(map, frame.width, frame.height, x, y) : null;
  return { x, y, value: formatValue(frame, x, y, units), attribution };
}

export function readoutText(r: Readout | null): string {
  if (!r) return ' ';
  return `(${r.x}, ${r.y}) ${r.value}` + (r.attribution !== null ? ` · attribution ${r.attribution.toFixed(3)}` : '');
}
