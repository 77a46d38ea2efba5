/** Stored values to modality values (rescale, dose scaling) and palette colour to RGB. */
import type { ModalityLut, PaddingRange, PaletteChannel, StoredArray } from './types';

export interface ModalityTransform {
  slope: number;
  intercept: number;
}

export function applyRescale(stored: StoredArray, t: ModalityTransform): Float32Array {
  const out = new Float32Array(stored.length);
  const { slope, intercept } = t;
  if (slope === 1 && intercept === 0) {
    out.set(stored);
  } else {
    for (let i = 0; i < stored.length; i++) out[i] = stored[i]! * slope + intercept;
  }
  return out;
}

/** Colour samples scaled to 0..255 whatever their bit depth. */
export function colourTo255(stored: StoredArray, bitsStored: number): Float32Array {
  const out = new Float32Array(stored.length);
  if (bitsStored === 8) out.set(stored);
  else {
    const k = 255 / (2 ** bitsStored - 1);
    for (let i = 0; i < stored.length; i++) out[i] = stored[i]! * k;
  }
  return out;
}

function lookup(channel: PaletteChannel, index: number): number {
  let i = index - channel.firstMapped;
  if (i < 0) i = 0;
  else if (i >= channel.entries) i = channel.entries - 1;
  const v = channel.data[i]!;
  // 16-bit palette entries are scaled to 8 bits for display; some writers put 8-bit values in 16-bit words.
  return channel.bits > 8 ? v / 257 : v;
}

export function paletteToRgb(indices: StoredArray, palette: { red: PaletteChannel; green: PaletteChannel; blue: PaletteChannel }): Float32Array {
  const out = new Float32Array(indices.length * 3);
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i]!;
    out[3 * i] = lookup(palette.red, v);
    out[3 * i + 1] = lookup(palette.green, v);
    out[3 * i + 2] = lookup(palette.blue, v);
  }
  return out;
}

export function valueRange(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return { min: 0, max: 0 };
  return { min, max };
}

/** Stored values through a Modality LUT (PS3.3 C.11.1): values outside the table take its first or last entry. */
export function applyModalityLut(stored: StoredArray, lut: ModalityLut): Float32Array {
  const out = new Float32Array(stored.length);
  const last = lut.entries - 1;
  const { data, firstMapped } = lut;
  for (let i = 0; i < stored.length; i++) {
    let k = stored[i]! - firstMapped;
    if (k < 0) k = 0;
    else if (k > last) k = last;
    out[i] = data[k]!;
  }
  return out;
}

/** Like valueRange, over the samples whose stored value is not padding; null if every sample is padding. */
export function unpaddedRange(values: ArrayLike<number>, stored: StoredArray, padding: PaddingRange): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  const { low, high } = padding;
  for (let i = 0; i < values.length; i++) {
    const s = stored[i]!;
    if (s >= low && s <= high) continue;
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min === Infinity ? null : { min, max };
}
