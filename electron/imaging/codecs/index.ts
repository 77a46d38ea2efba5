/** Which codec decodes which transfer syntax, and how encapsulated frames are found. */
import type { DataSet } from 'dicom-parser';
import { ImagingError } from '../errors';
import type { DicomImageInfo } from '../dicom-header';
import type { PixelLayout, StoredArray } from '../types';
import { TS } from '../dicom-file';

export const NATIVE_SYNTAXES = new Set<string>([TS.implicitLE, TS.explicitLE, TS.deflatedLE, TS.explicitBE]);

const NAMES: Record<string, string> = {
  [TS.implicitLE]: 'Implicit VR Little Endian',
  [TS.explicitLE]: 'Explicit VR Little Endian',
  [TS.deflatedLE]: 'Deflated Explicit VR Little Endian',
  [TS.explicitBE]: 'Explicit VR Big Endian',
};

export function syntaxName(uid: string): string {
  return NAMES[uid] ?? uid;
}

export function checkEncapsulated(file: string, _ds: DataSet, info: DicomImageInfo): void {
  throw new ImagingError(file, `unsupported transfer syntax ${info.transferSyntax}`);
}

export function compressedFrameBytes(file: string, _ds: DataSet, info: DicomImageInfo, _index: number): Uint8Array {
  throw new ImagingError(file, `unsupported transfer syntax ${info.transferSyntax}`);
}

export async function decodeCompressedFrame(file: string, syntax: string, _layout: PixelLayout, _bytes: Uint8Array): Promise<StoredArray> {
  throw new ImagingError(file, `unsupported transfer syntax ${syntax}`);
}
