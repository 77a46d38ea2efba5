/** JPEG 2000 (lossless and lossy) through OpenJPEG (wasm). */
import { bytesToSamples, type DecodedSamples } from './charls';
import { lazyModule, withDecoder } from './wasm';

const openjpeg = lazyModule(async (options) => (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default(options));

export async function decodeJ2k(encoded: Uint8Array): Promise<DecodedSamples> {
  return withDecoder(openjpeg, (m) => new m.J2KDecoder(), encoded, (d) => {
    d.decode();
    const info = d.getFrameInfo();
    const samples = bytesToSamples(d.getDecodedBuffer().slice(), info.bitsPerSample, info.isSigned === true);
    return { width: info.width, height: info.height, components: info.componentCount, bitsPerSample: info.bitsPerSample, samples };
  });
}
