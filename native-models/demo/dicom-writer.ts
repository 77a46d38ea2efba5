// Writes a phantom as a real DICOM Part 10 file (Explicit VR Little Endian, 16 bits allocated,
// 12 stored, MONOCHROME2) with dcmjs 0.51. dcmjs ships no type declarations, so it is loaded
// through createRequire and typed here with only the two functions used (no global declaration
// that could clash with another room's).

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { BITS_STORED, MAX_PIXEL_VALUE, type RenderedPhantom } from './phantom';
import { UserInputError } from '../errors';

interface DcmjsDict {
  write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
}
interface DcmjsSubset {
  data: { datasetToDict(dataset: Record<string, unknown>): DcmjsDict };
}

const require = createRequire(import.meta.url);
const dcmjs = require('dcmjs') as DcmjsSubset;

export const DX_FOR_PRESENTATION = '1.2.840.10008.5.1.4.1.1.1.1';
export const CR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.1';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** Deterministic UID under the 2.25 (UUID-derived) root, from a stable label. */
export function uidFor(label: string): string {
  const digest = createHash('sha256').update(label).digest();
  let n = 0n;
  for (let i = 0; i < 16; i++) n = (n << 8n) | BigInt(digest[i]);
  return `2.25.${n.toString(10)}`;
}

export interface DicomStudyInfo {
  modality: 'DX' | 'CR';
  patientName: string;
  patientId: string;
  accessionNumber: string;
  studyDescription: string;
  studyDate: string;
  studyTime: string;
  /** Stable label the UIDs are derived from. */
  uidLabel: string;
  /** Detector pixel spacing in mm. */
  pixelSpacingMm: number;
}

export class DicomWriteError extends UserInputError {}

export function phantomToDicom(img: RenderedPhantom, info: DicomStudyInfo): Buffer {
  const stored = new Uint16Array(img.width * img.height);
  for (let i = 0; i < stored.length; i++) {
    const v = img.pixels[i];
    if (!(v >= 0 && v <= MAX_PIXEL_VALUE) || !Number.isInteger(v)) {
      throw new DicomWriteError(`pixel ${i} is ${v}, outside the ${BITS_STORED}-bit range 0..${MAX_PIXEL_VALUE}`);
    }
    stored[i] = v;
  }
  const sopClass = info.modality === 'DX' ? DX_FOR_PRESENTATION : CR_IMAGE_STORAGE;
  const spacing = info.pixelSpacingMm.toFixed(3);
  const dataset: Record<string, unknown> = {
    _meta: { TransferSyntaxUID: { Value: [EXPLICIT_VR_LITTLE_ENDIAN] } },
    _vrMap: { PixelData: 'OW' },
    SpecificCharacterSet: 'ISO_IR 100',
    ImageType: ['ORIGINAL', 'PRIMARY'],
    SOPClassUID: sopClass,
    SOPInstanceUID: uidFor(`${info.uidLabel}/instance`),
    StudyDate: info.studyDate,
    SeriesDate: info.studyDate,
    ContentDate: info.studyDate,
    StudyTime: info.studyTime,
    SeriesTime: info.studyTime,
    ContentTime: info.studyTime,
    AccessionNumber: info.accessionNumber,
    Modality: info.modality,
    ...(info.modality === 'DX' ? { PresentationIntentType: 'FOR PRESENTATION' } : {}),
    Manufacturer: 'Candor synthetic phantom generator',
    InstitutionName: 'Candor demo (synthetic data, not a patient)',
    ReferringPhysicianName: '',
    StudyDescription: info.studyDescription,
    SeriesDescription: 'PA chest (synthetic phantom)',
    PatientName: info.patientName,
    PatientID: info.patientId,
    PatientBirthDate: '',
    PatientSex: 'O',
    BodyPartExamined: 'CHEST',
    ViewPosition: 'PA',
    PatientOrientation: ['R', 'F'],
    StudyInstanceUID: uidFor(`${info.uidLabel}/study`),
    SeriesInstanceUID: uidFor(`${info.uidLabel}/series`),
    StudyID: '1',
    SeriesNumber: 1,
    InstanceNumber: 1,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: img.height,
    Columns: img.width,
    PixelSpacing: [spacing, spacing],
    ImagerPixelSpacing: [spacing, spacing],
    BitsAllocated: 16,
    BitsStored: BITS_STORED,
    HighBit: BITS_STORED - 1,
    PixelRepresentation: 0,
    BurnedInAnnotation: 'NO',
    WindowCenter: img.windows.map((w) => String(w.center)),
    WindowWidth: img.windows.map((w) => String(w.width)),
    WindowCenterWidthExplanation: img.windows.map((w) => w.explanation),
    RescaleIntercept: '0',
    RescaleSlope: '1',
    RescaleType: 'US',
    PresentationLUTShape: 'IDENTITY',
    LossyImageCompression: '00',
    PixelData: [stored.buffer],
  };
  return Buffer.from(dcmjs.data.datasetToDict(dataset).write());
}
