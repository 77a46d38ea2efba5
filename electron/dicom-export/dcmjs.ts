/**
 * dcmjs (0.51), typed for the two things this room does with it: read a source file's header
 * into a naturalized data set, and write a naturalized data set as a Part 10 file with Candor's
 * own File Meta Information. dcmjs ships no type declarations, so it is loaded through
 * createRequire and typed here with only the members used.
 */
import { createRequire } from 'node:module';

export interface PersonName {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}
/** A naturalized data set: attribute keyword → value, as dcmjs reads and writes them. */
export interface Dataset {
  [keyword: string]: DicomValue;
}
export type DicomValue = string | number | ArrayBuffer | PersonName[] | Dataset[] | string[] | number[] | undefined;

type Denaturalized = Record<string, unknown>;
interface DicomDictInstance {
  dict: Denaturalized;
  write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
}
interface DcmjsData {
  DicomMessage: { readFile(buffer: ArrayBuffer, options?: { untilTag?: string; includeUntilTagValue?: boolean; ignoreErrors?: boolean }): DicomDictInstance & { meta: Denaturalized } };
  DicomDict: new (meta: Denaturalized) => DicomDictInstance;
  DicomMetaDictionary: {
    naturalizeDataset(dataset: Denaturalized): Dataset & { _vrMap?: Record<string, string> };
    denaturalizeDataset(dataset: Record<string, unknown>): Denaturalized;
  };
}

const require = createRequire(import.meta.url);
const dcmjs = require('dcmjs') as { data: DcmjsData; log?: { setLevel?: (level: string) => void } };
// dcmjs logs warnings about private tags of source files to the console; the caller reports what matters.
dcmjs.log?.setLevel?.('error');

/** A binary value (Pixel Data, Float Pixel Data) as dcmjs takes it: its own ArrayBuffer, padded to even length. */
export function binaryValue(view: ArrayBufferView): ArrayBuffer {
  const out = new Uint8Array(view.byteLength + (view.byteLength % 2));
  out.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return out.buffer;
}

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** The file's meta information and its data set up to (not including) Pixel Data. */
export function readHeader(bytes: Uint8Array): { meta: Dataset; dataset: Dataset } {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const file = dcmjs.data.DicomMessage.readFile(buffer, { untilTag: '7FE00010', includeUntilTagValue: false });
  const { _vrMap: _ignored, ...dataset } = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict);
  const { _vrMap: _none, ...meta } = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.meta);
  return { meta, dataset };
}

export interface WriteOptions {
  /** The implementation that wrote the file (File Meta Information). */
  implementationClassUid: string;
  implementationVersionName: string;
  /** VRs of attributes whose dictionary VR is ambiguous (Pixel Data: OB or OW). */
  vrMap?: Record<string, string>;
}

/** A Part 10 file, Explicit VR Little Endian, of the data set (which must hold SOP Class and Instance UIDs). */
export function writePart10(dataset: Dataset, options: WriteOptions): Uint8Array {
  const meta = dcmjs.data.DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: Uint8Array.of(0, 1).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: options.implementationClassUid,
    ImplementationVersionName: options.implementationVersionName,
  });
  const dict = new dcmjs.data.DicomDict(meta);
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset({ ...dataset, _vrMap: options.vrMap ?? {} });
  return new Uint8Array(dict.write());
}
