/** JPEG files (JFIF/EXIF, baseline and progressive, gray or colour) through libjpeg-turbo. */
import { ImagingError } from './errors';
import type { PlainImage } from './png';
import { readJpegHeader } from './codecs/markers';
import { CodecFailure } from './codecs/wasm';

const MAX_JPEG_PIXELS = 1 << 28;

export async function decodeJpegImage(file: string, bytes: Uint8Array): Promise<PlainImage> {
  const header = readJpegHeader(bytes);
  if (!header) throw new ImagingError(file, 'the JPEG file has no readable frame header (truncated or not a JPEG)');
  if (header.kind !== 'jpeg' || header.marker === 0xc3) throw new ImagingError(file, 'lossless JPEG and JPEG-LS files are only supported inside DICOM');
  if (header.precision !== 8) throw new ImagingError(file, `JPEG files with ${header.precision}-bit precision are not supported`);
  if (header.components !== 1 && header.components !== 3) {
    throw new ImagingError(file, `JPEG files with ${header.components} colour components (e.g. CMYK) are not supported`);
  }
  if (header.width === 0 || header.height === 0 || header.width * header.height > MAX_JPEG_PIXELS) {
    throw new ImagingError(file, `JPEG dimensions ${header.width}x${header.height} are not acceptable`);
  }
  if (header.width * header.height * header.components > bytes.length * 8 * 64) {
    throw new ImagingError(file, `the JPEG header claims ${header.width}x${header.height} pixels, more than the file's ${bytes.length} bytes can hold`);
  }
  const { decodeJpeg8 } = await import('./codecs/libjpeg');
  let out;
  try {
    out = await decodeJpeg8(bytes);
  } catch (err) {
    const reason = err instanceof CodecFailure ? err.message : String(err);
    throw new ImagingError(file, `the JPEG image cannot be decoded (${reason})`);
  }
  const channels = out.components === 3 ? 3 : 1;
  if (out.samples.length !== out.width * out.height * channels) {
    throw new ImagingError(file, 'the JPEG image decoded to fewer samples than its size needs (truncated file?)');
  }
  return { width: out.width, height: out.height, channels, bits: 8, data: out.samples };
}
