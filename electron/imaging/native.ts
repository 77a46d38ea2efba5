/** Uncompressed (native) Pixel Data: frame slicing, byte order, bit packing. */
import type { DataSet } from 'dicom-parser';
import { ImagingError } from './errors';
import type { DicomImageInfo } from './dicom-header';
import { allocStored, interleavePlanes, maskInto, ybrFull422ToRgb, ybrFullToRgb } from './stored';
import { TS } from './dicom-file';
import type { StoredArray } from './types';

/** Samples one native frame holds (YBR_FULL_422 stores two chroma samples per pixel pair). */
function samplesPerFrame(info: DicomImageInfo): number {
  const { rows, columns, samplesPerPixel, photometric } = info.layout;
  if (photometric === 'YBR_FULL_422' || photometric === 'YBR_PARTIAL_422') return rows * Math.ceil(columns / 2) * 4;
  return rows * columns * samplesPerPixel;
}

/** Checks that the Pixel Data element really holds every frame the header promises. */
export function checkNativeLength(file: string, info: DicomImageInfo): void {
  const perFrameBits = samplesPerFrame(info) * info.layout.bitsAllocated;
  const needed = Math.ceil((perFrameBits * info.layout.frames) / 8);
  const have = info.pixelData.length;
  if (info.pixelData.hadUndefinedLength || info.pixelData.encapsulatedPixelData) {
    throw new ImagingError(file, 'native Pixel Data has undefined length');
  }
  if (have < needed) {
    const { rows, columns, samplesPerPixel, bitsAllocated, frames } = info.layout;
    throw new ImagingError(
      file,
      `Pixel Data holds ${have} bytes but ${rows}x${columns}x${samplesPerPixel} samples of ${bitsAllocated} bits x ${frames} frame(s) need ${needed}; the file is truncated or its header is wrong`,
    );
  }
}

export function decodeNativeFrame(file: string, ds: DataSet, info: DicomImageInfo, frameIndex: number): StoredArray {
  checkNativeLength(file, info);
  const { layout } = info;
  const n = samplesPerFrame(info);
  const bytes = ds.byteArray;
  const start = info.pixelData.dataOffset;
  if (start + info.pixelData.length > bytes.length) throw new ImagingError(file, 'Pixel Data runs past the end of the file');
  const bigEndian = info.transferSyntax === TS.explicitBE;
  const signed = layout.pixelRepresentation === 1;
  const shift = layout.highBit + 1 - layout.bitsStored;
  let out = allocStored(layout, n);

  if (layout.bitsAllocated === 1) {
    const firstBit = frameIndex * n;
    const raw = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const bit = firstBit + i;
      raw[i] = (bytes[start + (bit >> 3)]! >> (bit & 7)) & 1;
    }
    maskInto(out, raw, 1, false);
  } else if (layout.bitsAllocated === 8) {
    const off = start + frameIndex * n;
    let raw: Uint8Array = bytes.subarray(off, off + n);
    if (bigEndian && info.pixelData.vr === 'OW') {
      // OW is swapped in 16-bit words on big endian; undo that for byte samples.
      raw = new Uint8Array(n);
      for (let i = 0; i < n; i++) raw[i] = bytes[off + (i ^ 1)]!;
    }
    maskInto(out, raw, layout.bitsStored, signed, shift);
  } else {
    const width = layout.bitsAllocated / 8;
    const off = start + frameIndex * n * width;
    const view = new DataView(bytes.buffer, bytes.byteOffset + off, n * width);
    const raw = width === 2 ? new Uint16Array(n) : new Uint32Array(n);
    const le = !bigEndian;
    if (width === 2) for (let i = 0; i < n; i++) raw[i] = view.getUint16(2 * i, le);
    else for (let i = 0; i < n; i++) raw[i] = view.getUint32(4 * i, le);
    maskInto(out, raw, layout.bitsStored, signed, shift);
  }

  if (layout.photometric === 'YBR_FULL_422' || layout.photometric === 'YBR_PARTIAL_422') {
    return ybrFull422ToRgb(out, layout.columns, layout.rows, layout.bitsStored);
  }
  if (layout.samplesPerPixel === 3 && layout.planarConfiguration === 1) out = interleavePlanes(out);
  if (layout.photometric === 'YBR_FULL') ybrFullToRgb(out, layout.bitsStored);
  return out;
}
