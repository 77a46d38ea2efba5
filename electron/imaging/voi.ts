/**
 * VOI transforms (PS3.3 C.11.2): window centre/width with the LINEAR, LINEAR_EXACT and
 * SIGMOID functions, or a VOI LUT from the VOI LUT Sequence. Input is modality values;
 * output is display intensity in 0..1 (before any MONOCHROME1 inversion, which `invert` does).
 */
import type { VoiFunction, VoiLut } from './types';

export type Voi =
  | { kind: 'window'; center: number; width: number; fn?: VoiFunction }
  | { kind: 'lut'; lut: VoiLut };

export interface VoiOptions {
  invert?: boolean;
  /** Modality values that are pixel padding (LoadedScan.padding): drawn as background (0, black), inverted or not. */
  padding?: { min: number; max: number } | null;
}

export function applyVoi(values: ArrayLike<number>, voi: Voi, options: VoiOptions = {}, out = new Float32Array(values.length)): Float32Array {
  const n = values.length;
  if (voi.kind === 'lut') {
    const { lut } = voi;
    const scale = 1 / (2 ** lut.bits - 1);
    const last = lut.entries - 1;
    for (let i = 0; i < n; i++) {
      let k = Math.round(values[i]!) - lut.firstMapped;
      if (k < 0) k = 0;
      else if (k > last) k = last;
      out[i] = Math.min(1, lut.data[k]! * scale);
    }
  } else {
    const { center: c, width: w } = voi;
    const fn = voi.fn ?? 'LINEAR';
    if (fn === 'SIGMOID') {
      for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp((-4 * (values[i]! - c)) / w));
    } else if (fn === 'LINEAR_EXACT') {
      const lo = c - w / 2;
      const hi = c + w / 2;
      for (let i = 0; i < n; i++) {
        const x = values[i]!;
        out[i] = x <= lo ? 0 : x > hi ? 1 : (x - c) / w + 0.5;
      }
    } else {
      // LINEAR needs width >= 1; a narrower window acts as a threshold at the centre.
      const ww = Math.max(w, 1);
      const lo = c - 0.5 - (ww - 1) / 2;
      const hi = c - 0.5 + (ww - 1) / 2;
      const denom = ww - 1;
      for (let i = 0; i < n; i++) {
        const x = values[i]!;
        out[i] = x <= lo ? 0 : x > hi ? 1 : denom === 0 ? 1 : (x - (c - 0.5)) / denom + 0.5;
      }
    }
  }
  if (options.invert) for (let i = 0; i < n; i++) out[i] = 1 - out[i]!;
  const pad = options.padding;
  if (pad) {
    for (let i = 0; i < n; i++) {
      const x = values[i]!;
      if (x >= pad.min && x <= pad.max) out[i] = 0;
    }
  }
  return out;
}

/** 8-bit display values (for thumbnails, PDF, model input) from a VOI transform. */
export function toDisplay8(values: ArrayLike<number>, voi: Voi, options: VoiOptions = {}): Uint8Array {
  const unit = applyVoi(values, voi, options);
  const out = new Uint8Array(unit.length);
  for (let i = 0; i < unit.length; i++) out[i] = Math.round(unit[i]! * 255);
  return out;
}

/** A full-range window over [min, max], for images without presets. */
export function rangeWindow(range: { min: number; max: number }): Voi {
  const width = Math.max(range.max - range.min, 1);
  return { kind: 'window', center: range.min + width / 2, width, fn: 'LINEAR_EXACT' };
}
