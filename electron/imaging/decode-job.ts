/** One image or frame to decode, self-contained so it can be posted to a worker thread. */
import { decodeNativeFrame, type NativeFrame } from './native';
import { decodeCompressedFrame } from './codecs/index';
import { decodePngFile, type PlainImage } from './png';
import type { PixelLayout, StoredArray } from './types';

export type DecodeJob =
  | { kind: 'native'; file: string; layout: PixelLayout; frame: NativeFrame }
  | { kind: 'compressed'; file: string; syntax: string; layout: PixelLayout; bytes: Uint8Array }
  | { kind: 'png' | 'jpeg'; file: string; bytes: Uint8Array };

export interface DecodeResult {
  data: StoredArray;
  /** For PNG/JPEG: what the file turned out to hold. */
  image?: Omit<PlainImage, 'data'>;
}

function own<T extends StoredArray>(data: T): T {
  // A view into a larger buffer cannot be transferred on its own; copy it out.
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : (data.slice() as T);
}

export async function runDecodeJob(job: DecodeJob): Promise<DecodeResult> {
  switch (job.kind) {
    case 'native':
      return { data: decodeNativeFrame(job.layout, job.frame) };
    case 'compressed':
      return { data: await decodeCompressedFrame(job.file, job.syntax, job.layout, job.bytes) };
    case 'png':
    case 'jpeg': {
      const img = job.kind === 'png' ? decodePngFile(job.file, job.bytes) : await (await import('./jpeg-file')).decodeJpegImage(job.file, job.bytes);
      const { data, ...image } = img;
      return { data: own(data), image };
    }
  }
}

/** The buffers a job owns, for zero-copy transfer to a worker. */
export function jobBuffers(job: DecodeJob): ArrayBuffer[] {
  const bytes = job.kind === 'native' ? job.frame.bytes : job.bytes;
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : [];
}
