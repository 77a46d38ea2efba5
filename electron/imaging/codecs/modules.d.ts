/** Type shapes of the codec packages, which ship no declarations of their own. */
interface EmscriptenCodecModule {
  getExceptionMessage?: (ptr: number) => [string, string];
}
interface EmscriptenFactoryOptions {
  print?: (s: string) => void;
  printErr?: (s: string) => void;
}
interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): CodecFrameInfo;
  delete(): void;
}
interface JpegLsDecoder extends WasmDecoder {
  getNearLossless(): number;
  getInterleaveMode(): number;
}
interface J2kDecoder extends WasmDecoder {
  readHeader(): void;
  getColorSpace(): number;
}

declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: (options?: EmscriptenFactoryOptions) => Promise<EmscriptenCodecModule & { JPEGDecoder: new () => WasmDecoder }>;
  export default factory;
}
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (options?: EmscriptenFactoryOptions) => Promise<EmscriptenCodecModule & { JpegLSDecoder: new () => JpegLsDecoder }>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (options?: EmscriptenFactoryOptions) => Promise<EmscriptenCodecModule & { J2KDecoder: new () => J2kDecoder }>;
  export default factory;
}
