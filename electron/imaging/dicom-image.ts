/** A parsed DICOM image: header facts plus a way to get the stored values of any frame. */
import type { DataSet } from 'dicom-parser';
import { parseDicomBytes } from './dicom-file';
import { readImageInfo, type DicomImageInfo } from './dicom-header';
import { checkNativeLength, nativeFrameBytes } from './native';
import { decodeFrame } from './decoder-pool';
import { TS } from './dicom-file';
import { ImagingError } from './errors';
import { NATIVE_SYNTAXES, checkEncapsulated, compressedFrameBytes, syntaxName } from './codecs/index';
import type { StoredArray } from './types';

export interface DicomImage {
  file: string;
  dataSet: DataSet;
  info: DicomImageInfo;
  /** Stored values of frame `index` (0-based). */
  decode(index: number): Promise<StoredArray>;
}

export function openDicom(file: string, bytes: Uint8Array): DicomImage {
  const dataSet = parseDicomBytes(file, bytes);
  const info = readImageInfo(file, dataSet);
  const native = NATIVE_SYNTAXES.has(info.transferSyntax);
  // Only (7FE0,0010) can be encapsulated; float samples are always native.
  if (info.layout.floatingPoint && !native) throw new ImagingError(file, `floating-point pixel data cannot use the compressed transfer syntax ${syntaxName(info.transferSyntax)}`);
  if (native) {
    if (info.pixelData.encapsulatedPixelData) throw new ImagingError(file, `Pixel Data is encapsulated but the transfer syntax ${info.transferSyntax} is uncompressed`);
    checkNativeLength(file, info);
  } else {
    checkEncapsulated(file, dataSet, info);
  }
  return {
    file,
    dataSet,
    info,
    async decode(index: number): Promise<StoredArray> {
      if (native) {
        const frame = nativeFrameBytes(file, dataSet, info, index, info.transferSyntax === TS.explicitBE);
        return (await decodeFrame({ kind: 'native', file, layout: info.layout, frame })).data;
      }
      const bytes = compressedFrameBytes(file, dataSet, info, index);
      return (await decodeFrame({ kind: 'compressed', file, syntax: info.transferSyntax, layout: info.layout, bytes })).data;
    },
  };
}

export { syntaxName };
