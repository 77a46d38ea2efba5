/** Uncompressed (native) Pixel Data: frame slicing, byte order, bit packing. */
import type { DataSet } from 'dicom-parser';
import { ImagingError } from './errors';
import type { DicomImageInfo } from './dicom-header';
import { allocStored, interleavePlanes, maskInto, ybrFull422ToRgb, ybrFullToRgb } from './stored';
import type { PixelLayout, StoredArray } from './types';

/** Samples one native frame holds (YBR_FULL_422 stores two chroma samples per pixel pair). */
export function samplesPerFrame(layout: PixelLayout): number {
  const { rows, columns, samplesPerPixel, photometric } = layout;
  if (photometric === 'YBR_FULL_422' || photometric === 'YBR_PARTIAL_422') return rows * Math.ceil(columns / 2) * 4;
  return rows * columns * samplesPerPixel;
}

/** Checks that the Pixel Data element really holds every frame the header promises. */
export function checkNativeLength(file: string, info: DicomImageInfo): void {
  const perFrameBits = samplesPerFrame(info.layout) * info.layout.bitsAllocated;
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

/** A native frame, cut out of the file so it can travel to a worker on its own. */
export interface NativeFrame {
  bytes: Uint8Array;
  /**
   * Where the frame's first sample starts in `bytes`, in bits: 1-bit frames need not start on a
   * byte, and 8-bit frames in big endian OW need not start on a (swapped) byte pair.
   */
  bitOffset: number;
  bigEndian: boolean;
  /** OW 8-bit data on big endian is byte-swapped in 16-bit words. */
  swapBytePairs: boolean;
}

export function nativeFrameBytes(file: string, ds: DataSet, info: DicomImageInfo, frameIndex: number, bigEndian: boolean): NativeFrame {
  checkNativeLength(file, info);
  const { layout } = info;
  const n = samplesPerFrame(layout);
  const start = info.pixelData.dataOffset;
  if (start + info.pixelData.length > ds.byteArray.length) throw new ImagingError(file, 'Pixel Data runs past the end of the file');
  if (layout.bitsAllocated === 1) {
    const firstBit = frameIndex * n;
    const from = start + (firstBit >> 3);
    const to = start + Math.ceil((firstBit + n) / 8);
    return { bytes: ds.byteArray.slice(from, to), bitOffset: firstBit & 7, bigEndian, swapBytePairs: false };
  }
  const width = layout.bitsAllocated / 8;
  const from = start + frameIndex * n * width;
  const swapBytePairs = bigEndian && width === 1 && info.pixelData.vr === 'OW';
  // Byte-pair swapping needs whole words, counted from the start of Pixel Data: a frame that
  // starts or ends on an odd byte takes the rest of its first or last word too.
  const lead = swapBytePairs ? (from - start) & 1 : 0;
  const end = Math.min(from + n * width + (swapBytePairs ? 1 : 0), start + info.pixelData.length);
  return { bytes: ds.byteArray.slice(from - lead, end), bitOffset: 8 * lead, bigEndian, swapBytePairs };
}

/** IEEE floats in the file's byte order, copied out as they are (no masking applies). */
function decodeFloatFrame(layout: PixelLayout, frame: NativeFrame, n: number): Float32Array | Float64Array {
  const { bytes } = frame;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = !frame.bigEndian;
  if (layout.bitsAllocated === 64) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, le);
    return out;
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, le);
  return out;
}

export function decodeNativeFrame(layout: PixelLayout, frame: NativeFrame): StoredArray {
  const n = samplesPerFrame(layout);
  if (layout.floatingPoint) return decodeFloatFrame(layout, frame, n);
  const { bytes } = frame;
  const signed = layout.pixelRepresentation === 1;
  const shift = layout.highBit + 1 - layout.bitsStored;
  let out = allocStored(layout, n);

  if (layout.bitsAllocated === 1) {
    const raw = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const bit = frame.bitOffset + i;
      raw[i] = (bytes[bit >> 3]! >> (bit & 7)) & 1;
    }
    maskInto(out, raw, 1, false);
  } else if (layout.bitsAllocated === 8) {
    let raw: Uint8Array = bytes.subarray(0, n);
    if (frame.swapBytePairs) {
      raw = new Uint8Array(n);
      const lead = frame.bitOffset >> 3;
      for (let i = 0; i < n; i++) raw[i] = bytes[(i + lead) ^ 1] ?? 0;
    }
    maskInto(out, raw, layout.bitsStored, signed, shift);
  } else {
    const width = layout.bitsAllocated / 8;
    const view = new DataView(bytes.buffer, bytes.byteOffset, n * width);
    const raw = width === 2 ? new Uint16Array(n) : new Uint32Array(n);
    const le = !frame.bigEndian;
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
