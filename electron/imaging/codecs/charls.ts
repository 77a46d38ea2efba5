/** JPEG-LS (lossless and near-lossless) through CharLS (wasm). */
import type { RawSamples } from '../stored';
import { interleavePlanes } from '../stored';
import { lazyModule, withDecoder } from './wasm';

const charls = lazyModule(async (options) => (await import('@cornerstonejs/codec-charls/decodewasmjs')).default(options));

export interface DecodedSamples {
  width: number;
  height: number;
  components: number;
  bitsPerSample: number;
  samples: RawSamples;
}

export function bytesToSamples(bytes: Uint8Array, bitsPerSample: number, signed: boolean): RawSamples {
  if (bitsPerSample <= 8) return signed ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
  const n = bytes.length >> 1;
  const copy = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  return signed ? new Int16Array(copy.buffer, copy.byteOffset, n) : new Uint16Array(copy.buffer, copy.byteOffset, n);
}

export async function decodeJpegLs(encoded: Uint8Array): Promise<DecodedSamples> {
  return withDecoder(charls, (m) => new m.JpegLSDecoder(), encoded, (d) => {
    d.decode();
    const info = d.getFrameInfo();
    const interleave = d.getInterleaveMode();
    let samples = bytesToSamples(d.getDecodedBuffer().slice(), info.bitsPerSample, false);
    // Interleave mode "none" leaves colour planes one after another.
    if (info.componentCount === 3 && interleave === 0) samples = interleavePlanes(samples);
    return { width: info.width, height: info.height, components: info.componentCount, bitsPerSample: info.bitsPerSample, samples };
  });
}
