/** A parsed DICOM image: header facts plus a way to get the stored values of any frame. */
import type { DataSet } from 'dicom-parser';
import { parseDicomBytes } from './dicom-file';
import { readImageInfo, type DicomImageInfo } from './dicom-header';
import { checkNativeLength, decodeNativeFrame } from './native';
import { ImagingError } from './errors';
import { NATIVE_SYNTAXES, checkEncapsulated, compressedFrameBytes, decodeCompressedFrame, syntaxName } from './codecs/index';
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
      if (native) return decodeNativeFrame(file, dataSet, info, index);
      const encoded = compressedFrameBytes(file, dataSet, info, index);
      return decodeCompressedFrame(file, info.transferSyntax, info.layout, encoded);
    },
  };
}

export { syntaxName };
