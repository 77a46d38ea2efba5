/**
 * From decoded samples to the stored-value convention of `candor decode --raw` (and of the
 * corpus manifest): masked to Bits Stored, sign-extended for Pixel Representation 1, colour
 * pixel-interleaved RGB, in the integer type that Bits Allocated and the sign call for.
 */
import type { PixelLayout, StoredArray } from './types';

export type RawSamples = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

export function allocStored(layout: Pick<PixelLayout, 'bitsAllocated' | 'pixelRepresentation' | 'floatingPoint'>, length: number): StoredArray {
  if (layout.floatingPoint) return layout.bitsAllocated === 64 ? new Float64Array(length) : new Float32Array(length);
  const signed = layout.pixelRepresentation === 1;
  if (layout.bitsAllocated <= 8) return signed ? new Int8Array(length) : new Uint8Array(length);
  if (layout.bitsAllocated <= 16) return signed ? new Int16Array(length) : new Uint16Array(length);
  return signed ? new Int32Array(length) : new Uint32Array(length);
}

export function dtypeName(layout: Pick<PixelLayout, 'bitsAllocated' | 'pixelRepresentation' | 'floatingPoint'>): string {
  if (layout.floatingPoint) return layout.bitsAllocated === 64 ? 'float64' : 'float32';
  const bits = layout.bitsAllocated <= 8 ? 8 : layout.bitsAllocated <= 16 ? 16 : 32;
  return `${layout.pixelRepresentation === 1 ? 'int' : 'uint'}${bits}`;
}

/**
 * Masks and sign-extends samples into `out`. `shift` moves the High Bit down for native
 * data whose High Bit is not Bits Stored − 1.
 */
export function maskInto(out: StoredArray, raw: ArrayLike<number>, bitsStored: number, signed: boolean, shift = 0): void {
  const n = out.length;
  if (bitsStored >= 32) {
    // Typed-array assignment keeps the 32-bit pattern and reinterprets it in the target type.
    const u = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) u[i] = raw[i]! >>> 0;
    return;
  }
  const mask = bitsStored === 31 ? 0x7fffffff : (1 << bitsStored) - 1;
  if (!signed) {
    if (shift === 0) for (let i = 0; i < n; i++) out[i] = raw[i]! & mask;
    else for (let i = 0; i < n; i++) out[i] = (raw[i]! >>> shift) & mask;
    return;
  }
  const up = 32 - bitsStored;
  for (let i = 0; i < n; i++) out[i] = (((raw[i]! >>> shift) & mask) << up) >> up;
}

/** Planar Configuration 1 (RRR…GGG…BBB…) to interleaved RGBRGB…. */
export function interleavePlanes<T extends StoredArray>(planar: T): T {
  const out = new (planar.constructor as new (n: number) => T)(planar.length);
  const n = planar.length / 3;
  for (let i = 0; i < n; i++) {
    out[3 * i] = planar[i]!;
    out[3 * i + 1] = planar[n + i]!;
    out[3 * i + 2] = planar[2 * n + i]!;
  }
  return out;
}

function clamp(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : v;
}

/** YBR_FULL (interleaved) to RGB in place, with the full-range ITU-R BT.601 equations of PS3.3 C.7.6.3.1.2. */
export function ybrFullToRgb(data: StoredArray, bitsStored: number): void {
  const max = 2 ** bitsStored - 1;
  const half = 2 ** (bitsStored - 1);
  for (let i = 0; i + 2 < data.length; i += 3) {
    const y = data[i]!;
    const cb = data[i + 1]! - half;
    const cr = data[i + 2]! - half;
    data[i] = clamp(Math.round(y + 1.402 * cr), max);
    data[i + 1] = clamp(Math.round(y - 0.344136 * cb - 0.714136 * cr), max);
    data[i + 2] = clamp(Math.round(y + 1.772 * cb), max);
  }
}

/** Native YBR_FULL_422 (Y1 Y2 Cb Cr per pixel pair) to interleaved RGB. */
export function ybrFull422ToRgb(src: StoredArray, columns: number, rows: number, bitsStored: number): StoredArray {
  const out = new (src.constructor as new (n: number) => StoredArray)(rows * columns * 3);
  let s = 0;
  let d = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c += 2) {
      const y1 = src[s]!;
      const y2 = src[s + 1]!;
      const cb = src[s + 2]!;
      const cr = src[s + 3]!;
      s += 4;
      out[d++] = y1; out[d++] = cb; out[d++] = cr;
      if (c + 1 < columns) {
        out[d++] = y2; out[d++] = cb; out[d++] = cr;
      }
    }
  }
  ybrFullToRgb(out, bitsStored);
  return out;
}
