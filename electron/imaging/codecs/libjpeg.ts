/** JPEG Baseline / Extended with 8-bit precision through libjpeg-turbo (wasm). */
import type { RawSamples } from '../stored';
import { lazyModule, withDecoder } from './wasm';

const libjpeg = lazyModule(async (options) => (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default(options));

export interface DecodedJpeg {
  width: number;
  height: number;
  components: number;
  /** libjpeg converts YCbCr to RGB itself, so colour output is RGB. */
  samples: Uint8Array;
}

export async function decodeJpeg8(encoded: Uint8Array): Promise<DecodedJpeg> {
  return withDecoder(libjpeg, (m) => new m.JPEGDecoder(), encoded, (d) => {
    d.decode();
    const info = d.getFrameInfo();
    return { width: info.width, height: info.height, components: info.componentCount, samples: d.getDecodedBuffer().slice() };
  });
}

export function asRaw(s: Uint8Array): RawSamples {
  return s;
}
