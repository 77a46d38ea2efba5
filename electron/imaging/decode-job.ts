/** One frame to decode, self-contained so it can be posted to a worker thread. */
import { decodeNativeFrame, type NativeFrame } from './native';
import { decodeCompressedFrame } from './codecs/index';
import type { PixelLayout, StoredArray } from './types';

export type DecodeJob =
  | { kind: 'native'; file: string; layout: PixelLayout; frame: NativeFrame }
  | { kind: 'compressed'; file: string; syntax: string; layout: PixelLayout; bytes: Uint8Array };

export async function runDecodeJob(job: DecodeJob): Promise<StoredArray> {
  if (job.kind === 'native') return decodeNativeFrame(job.layout, job.frame);
  return decodeCompressedFrame(job.file, job.syntax, job.layout, job.bytes);
}

/** The buffers a job owns, for zero-copy transfer to a worker. */
export function jobBuffers(job: DecodeJob): ArrayBuffer[] {
  const bytes = job.kind === 'native' ? job.frame.bytes : job.bytes;
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : [];
}
