/** RLE Lossless (PS3.5 Annex G): PackBits segments, one per byte plane of each sample. */
import type { PixelLayout } from '../types';
import type { RawSamples } from '../stored';
import { UserInputError } from '../../../native-models/errors';

export class RleError extends UserInputError {}

function decodeSegment(src: Uint8Array, start: number, end: number, out: Uint8Array): number {
  let p = start;
  let o = 0;
  const n = out.length;
  while (p < end && o < n) {
    const h = src[p++]!;
    if (h < 128) {
      const count = Math.min(h + 1, n - o, end - p);
      out.set(src.subarray(p, p + count), o);
      p += h + 1;
      o += count;
    } else if (h > 128) {
      if (p >= end) break;
      const count = Math.min(257 - h, n - o);
      out.fill(src[p++]!, o, o + count);
      o += count;
    }
    // 128 is a no-op
  }
  return o;
}

export function decodeRle(data: Uint8Array, layout: PixelLayout): RawSamples {
  if (data.length < 64) throw new RleError('the RLE header is shorter than 64 bytes');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const segments = view.getUint32(0, true);
  const bytesPerSample = layout.bitsAllocated / 8;
  const expected = layout.samplesPerPixel * bytesPerSample;
  if (segments !== expected) {
    throw new RleError(`the RLE header lists ${segments} segment(s); ${layout.samplesPerPixel} sample(s) of ${layout.bitsAllocated} bits need ${expected}`);
  }
  const pixels = layout.rows * layout.columns;
  const offsets: number[] = [];
  for (let i = 0; i < segments; i++) offsets.push(view.getUint32(4 + 4 * i, true));
  for (let s = 0; s < segments; s++) {
    const start = offsets[s]!;
    const end = s + 1 < segments ? offsets[s + 1]! : data.length;
    if (start < 64 || start > end || end > data.length) throw new RleError(`RLE segment ${s + 1} has an invalid offset`);
    // PackBits expands at most 64-fold (2 bytes for a run of 128): refuse before allocating for an impossible claim.
    if ((end - start) * 64 < pixels) throw new RleError(`RLE segment ${s + 1} holds ${end - start} bytes, too few for ${pixels} pixels`);
  }
  const plane = new Uint8Array(pixels);
  const spp = layout.samplesPerPixel;
  const out = bytesPerSample === 1 ? new Uint8Array(pixels * spp) : bytesPerSample === 2 ? new Uint16Array(pixels * spp) : new Uint32Array(pixels * spp);
  for (let s = 0; s < segments; s++) {
    const start = offsets[s]!;
    const end = s + 1 < segments ? offsets[s + 1]! : data.length;
    if (start < 64 || start > end || end > data.length) throw new RleError(`RLE segment ${s + 1} has an invalid offset`);
    const got = decodeSegment(data, start, end, plane);
    if (got < pixels) throw new RleError(`RLE segment ${s + 1} decodes to ${got} bytes, the image needs ${pixels}`);
    const sample = Math.floor(s / bytesPerSample);
    // Segments hold the most significant byte of a sample first.
    const shift = 8 * (bytesPerSample - 1 - (s % bytesPerSample));
    if (bytesPerSample === 1) {
      for (let i = 0; i < pixels; i++) out[i * spp + sample] = plane[i]!;
    } else {
      for (let i = 0; i < pixels; i++) out[i * spp + sample] = (out[i * spp + sample]! + plane[i]! * 2 ** shift) >>> 0;
    }
  }
  return out;
}
