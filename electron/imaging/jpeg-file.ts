/** JPEG files (JFIF/EXIF, baseline and progressive) through libjpeg-turbo. */
import { ImagingError } from './errors';
import type { PlainImage } from './png';

export async function decodeJpegImage(file: string, _bytes: Uint8Array): Promise<PlainImage> {
  throw new ImagingError(file, 'JPEG files are not supported yet');
}
