/** PNG files (8/16-bit, gray, gray+alpha, RGB, RGBA, palette) through fast-png. */
import { decode as decodePng, convertIndexedToRgb } from 'fast-png';
import { ImagingError, describeThrown } from './errors';
import type { StoredArray } from './types';

export interface PlainImage {
  width: number;
  height: number;
  channels: 1 | 3;
  bits: 8 | 16;
  /** Gray values or interleaved RGB, alpha dropped. */
  data: Uint8Array | Uint16Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** PNG dimensions are read from IHDR first so a forged header cannot make fast-png allocate gigabytes. */
const MAX_PNG_PIXELS = 1 << 28;

export function decodePngFile(file: string, bytes: Uint8Array): PlainImage {
  if (bytes.length === 0) throw new ImagingError(file, 'the file is empty');
  if (!isPng(bytes)) throw new ImagingError(file, 'not a PNG image (the PNG signature is missing)');
  if (bytes.length < 33) throw new ImagingError(file, 'the PNG file is truncated before its header ends');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const w = view.getUint32(16);
  const h = view.getUint32(20);
  if (w === 0 || h === 0 || w * h > MAX_PNG_PIXELS) throw new ImagingError(file, `PNG dimensions ${w}x${h} are not acceptable`);
  // zlib expands at most ~1032-fold: a header claiming more raw bytes than that is refused before decoding.
  const bitDepth = bytes[24]!;
  const colourType = bytes[25]!;
  const headerChannels = colourType === 2 ? 3 : colourType === 4 ? 2 : colourType === 6 ? 4 : 1;
  const rawBytes = h * (1 + Math.ceil((w * headerChannels * bitDepth) / 8));
  if (rawBytes > bytes.length * 1100) throw new ImagingError(file, `the PNG header claims ${w}x${h} pixels, more than the file's ${bytes.length} bytes can hold`);
  if (!hasIend(bytes)) throw new ImagingError(file, 'the PNG file is truncated (no IEND chunk)');
  let png;
  try {
    png = decodePng(bytes, { checkCrc: true });
  } catch (err) {
    throw new ImagingError(file, `the PNG image cannot be decoded (${describeThrown(err)})`);
  }
  const { width, height } = png;
  const pixels = width * height;
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    const stride = rgb.length / pixels;
    return { width, height, channels: 3, bits: 8, data: dropAlpha(rgb, pixels, stride, 3) as Uint8Array };
  }
  if (png.depth !== 8 && png.depth !== 16) {
    // 1/2/4-bit gray: fast-png leaves them packed; expand to 8 bits by scaling.
    return { width, height, channels: 1, bits: 8, data: unpackLowDepth(png.data as Uint8Array, width, height, png.depth) };
  }
  const channels = png.channels;
  const data = png.data as Uint8Array | Uint16Array;
  if (data.length < pixels * channels) throw new ImagingError(file, 'the PNG image data is shorter than its dimensions');
  const bits = png.depth as 8 | 16;
  if (channels === 1) return { width, height, channels: 1, bits, data: data.subarray(0, pixels) };
  if (channels === 2) return { width, height, channels: 1, bits, data: dropAlpha(data, pixels, 2, 1) };
  return { width, height, channels: 3, bits, data: dropAlpha(data, pixels, channels, 3) };
}

function hasIend(bytes: Uint8Array): boolean {
  // IEND is the last chunk: length 0, type "IEND", CRC; allow trailing bytes after it.
  for (let i = bytes.length - 8; i >= Math.max(8, bytes.length - 4096); i--) {
    if (bytes[i] === 0x49 && bytes[i + 1] === 0x45 && bytes[i + 2] === 0x4e && bytes[i + 3] === 0x44) return true;
  }
  return false;
}

function dropAlpha<T extends Uint8Array | Uint16Array | Uint8ClampedArray>(src: T, pixels: number, stride: number, keep: number): Uint8Array | Uint16Array {
  if (stride === keep) return src instanceof Uint16Array ? src.subarray(0, pixels * keep) : new Uint8Array(src.buffer, src.byteOffset, pixels * keep);
  const out = src instanceof Uint16Array ? new Uint16Array(pixels * keep) : new Uint8Array(pixels * keep);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < keep; c++) out[p * keep + c] = src[p * stride + c]!;
  return out;
}

function unpackLowDepth(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const scale = 255 / (2 ** depth - 1);
  const mask = 2 ** depth - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = packed[y * rowBytes + (bit >> 3)] ?? 0;
      out[y * width + x] = Math.round(((byte >> (8 - depth - (bit & 7))) & mask) * scale);
    }
  }
  return out;
}

export function plainStored(img: PlainImage): StoredArray {
  return img.data;
}
