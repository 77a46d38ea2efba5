/**
 * Turns the bytes of a DICOM file into a dicom-parser DataSet: Part 10 files with or without
 * a preamble, bare data sets (Implicit or Explicit VR Little Endian inferred), and Deflated
 * files inflated with a hard output limit so a zip bomb cannot exhaust memory.
 */
import { inflateRawSync } from 'node:zlib';
import dicomParser, { type DataSet } from 'dicom-parser';
import { ImagingError, describeThrown } from './errors';
import { dictionaryEntry } from './dictionary';

export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  deflatedLE: '1.2.840.10008.1.2.1.99',
  explicitBE: '1.2.840.10008.1.2.2',
} as const;

/** Inflated data sets larger than this are refused (no real single-file study comes close). */
export const MAX_INFLATED_BYTES = 1 << 30;

const VR_LETTERS = /^[A-Z]{2}$/;

/** True when the bytes look like a DICOM file or a bare DICOM data set. */
export function looksLikeDicom(bytes: Uint8Array): boolean {
  if (bytes.length >= 132 && String.fromCharCode(bytes[128]!, bytes[129]!, bytes[130]!, bytes[131]!) === 'DICM') return true;
  return bareDataSetSyntax(bytes) !== null;
}

/**
 * A data set without preamble starts with an element of a low group (0002, 0008, …) in
 * little endian order; two uppercase letters after the tag mean explicit VR.
 */
function bareDataSetSyntax(bytes: Uint8Array): string | null {
  if (bytes.length < 12) return null;
  const group = bytes[0]! | (bytes[1]! << 8);
  if (group !== 0x0002 && group !== 0x0008 && group !== 0x0010 && group !== 0x0018 && group !== 0x0020 && group !== 0x0028) return null;
  const vr = String.fromCharCode(bytes[4]!, bytes[5]!);
  if (VR_LETTERS.test(vr)) return TS.explicitLE;
  const length = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! * 0x1000000);
  // An implicit first element must fit in the file; this rejects random binary that happens to start with 08 00.
  if (length > bytes.length - 8) return null;
  return TS.implicitLE;
}

function boundedInflater(file: string) {
  return (byteArray: Uint8Array, position: number): Uint8Array => {
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(byteArray.subarray(position), { maxOutputLength: MAX_INFLATED_BYTES });
    } catch (err) {
      throw new ImagingError(file, `the deflated data set cannot be inflated (${describeThrown(err)})`);
    }
    const full = new Uint8Array(position + inflated.length);
    full.set(byteArray.subarray(0, position), 0);
    full.set(inflated, position);
    return full;
  };
}

export function parseDicomBytes(file: string, bytes: Uint8Array, extra: { untilTag?: string } = {}): DataSet {
  if (bytes.length === 0) throw new ImagingError(file, 'the file is empty');
  const hasPreamble = bytes.length >= 132 && String.fromCharCode(bytes[128]!, bytes[129]!, bytes[130]!, bytes[131]!) === 'DICM';
  // Implicit VR files carry no VRs; the dictionary supplies them for the attributes we read.
  const vrCallback = (tag: string) => dictionaryEntry(tag)?.vr;
  let options: Parameters<typeof dicomParser.parseDicom>[1] = { inflater: boundedInflater(file), vrCallback, ...extra };
  if (!hasPreamble) {
    const syntax = bareDataSetSyntax(bytes);
    if (!syntax) throw new ImagingError(file, 'not a DICOM file (no DICM marker and no recognisable data set)');
    options = { ...options, TransferSyntaxUID: syntax };
  }
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes, options);
  } catch (err) {
    if (err instanceof ImagingError) throw err;
    const detail = describeThrown(err);
    if (/buffer overrun|past the end|beyond/i.test(detail)) {
      throw new ImagingError(file, `the file is truncated or an element length is corrupt (${detail})`);
    }
    throw new ImagingError(file, `the DICOM data set is malformed (${detail})`);
  }
  return dataSet;
}

export function transferSyntaxOf(dataSet: DataSet): string {
  const element = dataSet.elements.x00020010 as (typeof dataSet.elements)[string] & { Value?: string };
  if (element?.Value) return element.Value;
  return (dataSet.string('x00020010') ?? TS.implicitLE).replace(/\0/g, '').trim();
}
