/**
 * The PDF explanation report as a DICOM Encapsulated PDF (PS3.3 A.45.1) in the scan's own study:
 * a new series, patient and study attributes copied from the scan, so a PACS files it beside the
 * images it explains. This is the result object Candor can send today; the structured report and
 * the parametric map (issue 17, "dicom-objects") join it in services/pacs-results.ts.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { encodingOf, textValue } from '../imaging/charset';
import { parseDicomBytes } from '../imaging/dicom-file';
import { UserInputError } from '../../native-models/errors';

interface DcmjsDict {
  write(): ArrayBuffer;
}
const require = createRequire(import.meta.url);
const dcmjs = require('dcmjs') as { data: { datasetToDict(dataset: Record<string, unknown>): DcmjsDict } };

export const ENCAPSULATED_PDF_STORAGE = '1.2.840.10008.5.1.4.1.1.104.1';
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
/** Series numbers Candor gives its own objects in a study (high, to stay clear of the modality's). */
export const CANDOR_REPORT_SERIES_NUMBER = 9901;

/** A UID under 2.25 from a random UUID (PS3.5 B.2). */
export function uuidUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString(10)}`;
}

/** Patient and study attributes copied into every object Candor adds to a study. */
export interface StudyContext {
  PatientName: string;
  PatientID: string;
  PatientBirthDate: string;
  PatientSex: string;
  StudyInstanceUID: string;
  StudyDate: string;
  StudyTime: string;
  ReferringPhysicianName: string;
  StudyID: string;
  AccessionNumber: string;
}

export async function studyContextOf(scanFile: string): Promise<StudyContext> {
  const buf = await readFile(scanFile);
  const ds = parseDicomBytes(scanFile, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), { untilTag: 'x7fe00010' });
  const enc = encodingOf(ds);
  const text = (tag: string) => textValue(ds, tag, enc) ?? '';
  const study = text('x0020000d').replace(/\0/g, '');
  if (!study) throw new UserInputError(`${scanFile}: the scan has no Study Instance UID, so its report cannot be filed in its study`);
  return {
    PatientName: text('x00100010'),
    PatientID: text('x00100020'),
    PatientBirthDate: text('x00100030'),
    PatientSex: text('x00100040'),
    StudyInstanceUID: study,
    StudyDate: text('x00080020'),
    StudyTime: text('x00080030'),
    ReferringPhysicianName: text('x00080090'),
    StudyID: text('x00200010'),
    AccessionNumber: text('x00080050'),
  };
}

function now(): { date: string; time: string } {
  const iso = new Date().toISOString();
  return { date: iso.slice(0, 10).replace(/-/g, ''), time: iso.slice(11, 19).replace(/:/g, '') };
}

export interface EncapsulatedPdf {
  bytes: Buffer;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyUid: string;
}

export function encapsulatePdf(pdf: Uint8Array, study: StudyContext, title: string, seriesInstanceUid = uuidUid()): EncapsulatedPdf {
  if (pdf.length < 5 || Buffer.from(pdf.subarray(0, 5)).toString('latin1') !== '%PDF-') throw new UserInputError('the report to encapsulate is not a PDF');
  const sopInstanceUid = uuidUid();
  const { date, time } = now();
  // OB values have even length; the document's own length is recorded beside it.
  const doc = new Uint8Array(pdf.length + (pdf.length % 2));
  doc.set(pdf);
  const dataset: Record<string, unknown> = {
    _meta: {
      MediaStorageSOPClassUID: { Value: [ENCAPSULATED_PDF_STORAGE] },
      MediaStorageSOPInstanceUID: { Value: [sopInstanceUid] },
      TransferSyntaxUID: { Value: [EXPLICIT_VR_LE] },
    },
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: ENCAPSULATED_PDF_STORAGE,
    SOPInstanceUID: sopInstanceUid,
    ...study,
    Modality: 'DOC',
    SeriesInstanceUID: seriesInstanceUid,
    SeriesNumber: CANDOR_REPORT_SERIES_NUMBER,
    SeriesDescription: 'Candor explanation report',
    Manufacturer: 'Candor',
    ConversionType: 'WSD',
    InstanceNumber: 1,
    ContentDate: date,
    ContentTime: time,
    AcquisitionDateTime: `${date}${time}`,
    // The report prints the study label and the reviewer: treat it as carrying identifying text.
    BurnedInAnnotation: 'YES',
    DocumentTitle: title,
    ConceptNameCodeSequence: [],
    MIMETypeOfEncapsulatedDocument: 'application/pdf',
    EncapsulatedDocument: doc.buffer,
    EncapsulatedDocumentLength: pdf.length,
  };
  return { bytes: Buffer.from(dcmjs.data.datasetToDict(dataset).write()), sopInstanceUid, seriesInstanceUid, studyUid: study.StudyInstanceUID };
}
