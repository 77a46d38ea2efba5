/** Decides what a file is: its extension says what it must be, its content says what it is. */
import { extname } from 'node:path';
import { ImagingError } from './errors';
import { looksLikeDicom } from './dicom-file';
import { isPng } from './png';

export type Kind = 'dicom' | 'png' | 'jpeg';

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

function describeContent(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'the file is empty';
  if (isPng(bytes)) return 'it is a PNG image (rename it to .png to open it as one)';
  if (isJpeg(bytes)) return 'it is a JPEG image (rename it to .jpg to open it as one)';
  let printable = 0;
  const n = Math.min(bytes.length, 512);
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127)) printable++;
  }
  if (printable / n > 0.95) return 'it is a text file';
  return 'no DICM marker and no recognisable data set';
}

export function kindOf(file: string, bytes: Uint8Array): Kind {
  const ext = extname(file).toLowerCase();
  if (ext === '.png') {
    if (!isPng(bytes)) throw new ImagingError(file, bytes.length === 0 ? 'the file is empty' : 'not a PNG image (the PNG signature is missing)');
    return 'png';
  }
  if (ext === '.jpg' || ext === '.jpeg') {
    if (!isJpeg(bytes)) throw new ImagingError(file, bytes.length === 0 ? 'the file is empty' : 'not a JPEG image (no SOI marker)');
    return 'jpeg';
  }
  if (looksLikeDicom(bytes)) return 'dicom';
  // Without an extension the content decides; a .dcm must really be DICOM.
  if (ext === '') {
    if (isPng(bytes)) return 'png';
    if (isJpeg(bytes)) return 'jpeg';
  }
  throw new ImagingError(file, `not a DICOM file (${describeContent(bytes)})`);
}

