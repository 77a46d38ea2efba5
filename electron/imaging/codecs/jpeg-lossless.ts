/** JPEG Lossless process 14 (any selection value) through jpeg-lossless-decoder-js. */
import { Decoder } from 'jpeg-lossless-decoder-js';
import type { DecodedSamples } from './charls';

export function decodeJpegLossless(encoded: Uint8Array, bytesPerSample: 1 | 2): DecodedSamples {
  const decoder = new Decoder();
  // The decoder reads from an ArrayBuffer at an offset; give it its own copy so views stay valid.
  const copy = encoded.slice();
  const out = decoder.decode(copy.buffer, 0, copy.length, bytesPerSample);
  return {
    width: decoder.xDim,
    height: decoder.yDim,
    components: decoder.numComp,
    bitsPerSample: decoder.precision ?? bytesPerSample * 8,
    samples: out,
  };
}
