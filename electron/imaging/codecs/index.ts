/** Which codec decodes which transfer syntax, and how encapsulated frames are found. */
import type { DataSet, Fragment } from 'dicom-parser';
import { ImagingError, describeThrown } from '../errors';
import type { DicomImageInfo } from '../dicom-header';
import type { PixelLayout, StoredArray } from '../types';
import { TS } from '../dicom-file';
import { allocStored, maskInto, ybrFullToRgb, type RawSamples } from '../stored';
import { readJ2kHeader, readJpegHeader, type CodestreamHeader } from './markers';
import { decodeRle, RleError } from './rle';
import { CodecFailure } from './wasm';

export const NATIVE_SYNTAXES = new Set<string>([TS.implicitLE, TS.explicitLE, TS.deflatedLE, TS.explicitBE]);

type Codec = 'rle' | 'jpeg' | 'jpeg-lossless' | 'jpeg-ls' | 'j2k';

const SYNTAXES: Record<string, { name: string; codec?: Codec }> = {
  [TS.implicitLE]: { name: 'Implicit VR Little Endian' },
  [TS.explicitLE]: { name: 'Explicit VR Little Endian' },
  [TS.deflatedLE]: { name: 'Deflated Explicit VR Little Endian' },
  [TS.explicitBE]: { name: 'Explicit VR Big Endian' },
  '1.2.840.10008.1.2.5': { name: 'RLE Lossless', codec: 'rle' },
  '1.2.840.10008.1.2.4.50': { name: 'JPEG Baseline (Process 1)', codec: 'jpeg' },
  '1.2.840.10008.1.2.4.51': { name: 'JPEG Extended (Process 2 & 4)', codec: 'jpeg' },
  '1.2.840.10008.1.2.4.57': { name: 'JPEG Lossless, Non-Hierarchical (Process 14)', codec: 'jpeg-lossless' },
  '1.2.840.10008.1.2.4.70': { name: 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', codec: 'jpeg-lossless' },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS Lossless', codec: 'jpeg-ls' },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS Lossy (Near-Lossless)', codec: 'jpeg-ls' },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 (Lossless Only)', codec: 'j2k' },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000', codec: 'j2k' },
};

export function syntaxName(uid: string): string {
  return SYNTAXES[uid]?.name ?? uid;
}

export function isSupportedSyntax(uid: string): boolean {
  return uid in SYNTAXES;
}

function codecFor(file: string, uid: string): Codec {
  const codec = SYNTAXES[uid]?.codec;
  if (!codec) {
    const video = /^1\.2\.840\.10008\.1\.2\.4\.(10\d|11\d)$/.test(uid) ? ' (a video syntax; only still images are supported)' : '';
    throw new ImagingError(file, `unsupported transfer syntax ${uid}${video}`);
  }
  return codec;
}

/** Checks done when the file is opened, before any frame is decoded. */
export function checkEncapsulated(file: string, _ds: DataSet, info: DicomImageInfo): void {
  const codec = codecFor(file, info.transferSyntax);
  const el = info.pixelData;
  if (!el.encapsulatedPixelData || !el.fragments) {
    throw new ImagingError(file, `transfer syntax ${syntaxName(info.transferSyntax)} needs encapsulated Pixel Data, but the Pixel Data is native`);
  }
  if (el.fragments.length === 0) throw new ImagingError(file, 'the encapsulated Pixel Data holds no fragments');
  if (el.fragments.length < info.layout.frames && el.fragments.length !== 1 && (el.basicOffsetTable?.length ?? 0) === 0) {
    throw new ImagingError(file, `the header claims ${info.layout.frames} frames but the Pixel Data holds only ${el.fragments.length} fragment(s)`);
  }
  if (codec === 'jpeg-lossless' && info.layout.bitsAllocated > 16) throw new ImagingError(file, 'JPEG Lossless with more than 16 bits allocated is not supported');
  if (codec === 'jpeg' && info.layout.bitsAllocated > 16) throw new ImagingError(file, 'JPEG with more than 16 bits allocated is not supported');
}

const START_MARKERS: Record<Codec, (b: Uint8Array) => boolean> = {
  rle: () => false,
  jpeg: (b) => b[0] === 0xff && b[1] === 0xd8,
  'jpeg-lossless': (b) => b[0] === 0xff && b[1] === 0xd8,
  'jpeg-ls': (b) => b[0] === 0xff && b[1] === 0xd8,
  j2k: (b) => (b[0] === 0xff && b[1] === 0x4f) || (b[4] === 0x6a && b[5] === 0x50), // SOC or a JP2 signature box
};

function concat(ds: DataSet, fragments: Fragment[]): Uint8Array {
  let total = 0;
  for (const f of fragments) total += f.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const f of fragments) {
    const start = f.position;
    out.set(ds.byteArray.subarray(start, start + f.length), o);
    o += f.length;
  }
  return out;
}

/** The compressed bytes of frame `index` (0-based), from the offset table or by codestream start markers. */
export function compressedFrameBytes(file: string, ds: DataSet, info: DicomImageInfo, index: number): Uint8Array {
  const el = info.pixelData;
  const fragments = el.fragments ?? [];
  const frames = info.layout.frames;
  const codec = codecFor(file, info.transferSyntax);
  // Fragment positions are absolute; offsets are relative to the first fragment item (for the offset table).
  for (const f of fragments) {
    if (f.position + f.length > ds.byteArray.length) throw new ImagingError(file, 'an encapsulated Pixel Data fragment runs past the end of the file');
  }
  try {
    if (frames === 1) return concat(ds, fragments);
    const bot = el.basicOffsetTable ?? [];
    if (bot.length === frames) {
      const start = bot[index]!;
      const end = index + 1 < frames ? bot[index + 1]! : Infinity;
      const chosen = fragments.filter((f) => f.offset >= start && f.offset < end);
      if (chosen.length === 0) throw new ImagingError(file, `the Basic Offset Table points frame ${index + 1} at no fragment`);
      return concat(ds, chosen);
    }
    if (fragments.length === frames) return concat(ds, [fragments[index]!]);
    // More fragments than frames and no offset table: a frame starts where a fragment starts with a codestream marker.
    const isStart = START_MARKERS[codec];
    const starts: number[] = [];
    fragments.forEach((f, i) => {
      const head = ds.byteArray.subarray(f.position, f.position + Math.min(8, f.length));
      if (isStart(head)) starts.push(i);
    });
    if (starts.length !== frames) {
      // Some writers put every frame in one run of fragments. In JPEG-family codestreams FF D8
      // cannot occur inside entropy-coded data, so start-of-image markers split the frames.
      if (codec !== 'rle' && codec !== 'j2k') {
        const all = concat(ds, fragments);
        const sois: number[] = [];
        for (let i = 0; i + 2 < all.length; i++) if (all[i] === 0xff && all[i + 1] === 0xd8 && all[i + 2] === 0xff) sois.push(i);
        if (sois.length === frames) return all.slice(sois[index]!, sois[index + 1] ?? all.length);
      }
      throw new ImagingError(file, `cannot tell which of the ${fragments.length} fragments belong to which of the ${frames} frames (no Basic Offset Table)`);
    }
    return concat(ds, fragments.slice(starts[index]!, starts[index + 1] ?? fragments.length));
  } catch (err) {
    if (err instanceof ImagingError) throw err;
    throw new ImagingError(file, `frame ${index + 1} cannot be located in the encapsulated Pixel Data (${describeThrown(err)})`);
  }
}

function checkHeader(file: string, header: CodestreamHeader | null, layout: PixelLayout, what: string): CodestreamHeader {
  if (!header) throw new ImagingError(file, `the ${what} codestream has no readable frame header`);
  const comps = layout.samplesPerPixel;
  if (header.width !== layout.columns || (header.height !== layout.rows && header.height !== 0) || header.components !== comps) {
    throw new ImagingError(
      file,
      `the ${what} codestream is ${header.width}x${header.height} with ${header.components} component(s), the DICOM header says ${layout.columns}x${layout.rows} with ${comps}`,
    );
  }
  if (header.precision < 1 || header.precision > Math.max(16, layout.bitsAllocated)) {
    throw new ImagingError(file, `the ${what} codestream has precision ${header.precision}, which does not fit ${layout.bitsAllocated} bits allocated`);
  }
  return header;
}

/**
 * The least a codestream can spend per sample bounds how many samples a given number of bytes
 * can hold; a header claiming more is refused before a codec allocates for it.
 */
function checkPlausibleSize(file: string, layout: PixelLayout, encodedBytes: number, maxSamplesPerByte: number, what: string): void {
  const samples = layout.rows * layout.columns * layout.samplesPerPixel;
  if (samples > encodedBytes * maxSamplesPerByte) {
    throw new ImagingError(file, `the ${what} data holds ${encodedBytes} bytes, too few for ${layout.rows}x${layout.columns}x${layout.samplesPerPixel} samples; the header or the data is corrupt`);
  }
}

/** The stored-value array type of `layout` over the same memory as `raw`, when element sizes agree. */
function sameMemory(layout: PixelLayout, raw: RawSamples, length: number): StoredArray | null {
  const probe = allocStored(layout, 0);
  if (probe.BYTES_PER_ELEMENT !== raw.BYTES_PER_ELEMENT) return null;
  const Ctor = probe.constructor as new (buffer: ArrayBufferLike, offset: number, length: number) => StoredArray;
  return new Ctor(raw.buffer, raw.byteOffset, length);
}

/**
 * Masks, sign-extends and converts colour into the stored-value array. `owned`: `raw` belongs
 * to this call (an own decoder's fresh output), so the work is done in place without a copy.
 */
function finish(file: string, layout: PixelLayout, raw: RawSamples, alreadyRgb: boolean, owned = false): StoredArray {
  const expected = layout.rows * layout.columns * layout.samplesPerPixel;
  if (raw.length < expected) throw new ImagingError(file, `the codec produced ${raw.length} samples, the image needs ${expected}`);
  const out = (owned && sameMemory(layout, raw, expected)) || allocStored(layout, expected);
  // In place, each element is read before it is written, so the aliasing is harmless; unsigned
  // samples that fill their type need no masking at all.
  const inPlaceNoop = out.buffer === raw.buffer && layout.pixelRepresentation === 0 && layout.bitsStored >= 8 * out.BYTES_PER_ELEMENT;
  if (!inPlaceNoop) maskInto(out, raw.length === expected ? raw : raw.subarray(0, expected), layout.bitsStored, layout.pixelRepresentation === 1);
  if (!alreadyRgb && layout.samplesPerPixel === 3 && layout.photometric.startsWith('YBR_FULL')) ybrFullToRgb(out, layout.bitsStored);
  return out;
}

/** Decodes one compressed frame into stored values (masked, sign-extended, colour as RGB). */
export async function decodeCompressedFrame(file: string, syntax: string, layout: PixelLayout, bytes: Uint8Array): Promise<StoredArray> {
  const codec = codecFor(file, syntax);
  const name = syntaxName(syntax);
  try {
    switch (codec) {
      case 'rle':
        return finish(file, layout, decodeRle(bytes, layout), false);
      case 'jpeg': {
        const header = checkHeader(file, readJpegHeader(bytes), layout, 'JPEG');
        // A DCT block costs at least a DC and an end-of-block code: two bits per 64 samples (more with subsampled chroma).
        checkPlausibleSize(file, layout, bytes.length, 8 * 64, 'JPEG');
        if (header.marker === 0xc3 || header.marker === 0xf7) throw new ImagingError(file, `the ${name} file holds a ${header.marker === 0xc3 ? 'lossless JPEG' : 'JPEG-LS'} codestream`);
        if (header.precision > 8) {
          const { decodeJpegDct } = await import('./jpeg-dct');
          const out = decodeJpegDct(bytes);
          return finish(file, layout, out.samples, out.convertedToRgb, true);
        }
        const { decodeJpeg8 } = await import('./libjpeg');
        let out: { samples: RawSamples; rgb: boolean };
        try {
          const decoded = await decodeJpeg8(bytes);
          out = { samples: decoded.samples, rgb: true };
        } catch (err) {
          if (!(err instanceof CodecFailure)) throw err;
          // What libjpeg-turbo refuses, the own decoder may still read (or refuse more precisely).
          const { decodeJpegDct } = await import('./jpeg-dct');
          const decoded = decodeJpegDct(bytes);
          out = { samples: decoded.samples, rgb: decoded.convertedToRgb };
        }
        return finish(file, layout, out.samples, out.rgb);
      }
      case 'jpeg-lossless': {
        const header = checkHeader(file, readJpegHeader(bytes), layout, 'JPEG Lossless');
        if (header.marker !== 0xc3) throw new ImagingError(file, `the ${name} file holds a JPEG codestream of another process (SOF 0x${header.marker.toString(16)})`);
        // Every sample costs at least one Huffman bit in process 14.
        checkPlausibleSize(file, layout, bytes.length, 8, 'JPEG Lossless');
        const { decodeJpegLossless } = await import('./jpeg-lossless');
        const out = decodeJpegLossless(bytes, layout.bitsAllocated <= 8 && header.precision <= 8 ? 1 : 2);
        return finish(file, layout, out.samples, false, true);
      }
      case 'jpeg-ls': {
        const header = checkHeader(file, readJpegHeader(bytes), layout, 'JPEG-LS');
        if (header.marker !== 0xf7) throw new ImagingError(file, 'the JPEG-LS file holds a codestream that is not JPEG-LS');
        const { decodeJpegLs } = await import('./charls');
        const out = await decodeJpegLs(bytes);
        return finish(file, layout, out.samples, false);
      }
      case 'j2k': {
        checkHeader(file, readJ2kHeader(bytes), layout, 'JPEG 2000');
        const { decodeJ2k } = await import('./openjpeg');
        const out = await decodeJ2k(bytes);
        // OpenJPEG undoes the reversible/irreversible colour transform itself.
        return finish(file, layout, out.samples, layout.photometric === 'YBR_RCT' || layout.photometric === 'YBR_ICT');
      }
    }
  } catch (err) {
    if (err instanceof ImagingError) throw err;
    if (err instanceof CodecFailure || err instanceof RleError) throw new ImagingError(file, `the ${name} pixel data cannot be decoded (${err.message})`);
    throw new ImagingError(file, `the ${name} pixel data cannot be decoded (${describeThrown(err)})`);
  }
}

