/**
 * The scan a finding was made on, as the DICOM objects need it: the instance to reference
 * (SOP Class, SOP Instance, frame), the patient and study to file them under, the geometry to
 * share, and the frame as the reviewer saw it. Only a DICOM source can be referenced: a PNG or
 * JPEG has no patient, study or instance, and objects invented for it would file an explanation
 * under no one's record, so it is refused (the PDF report is the export for those).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { openScanBytes, toDisplay8, type LoadedScan } from '../imaging/index';
import type { Explanation } from '../../native-models/explain/types';
import { readHeader, type Dataset, type DicomValue } from './dcmjs';
import { DicomExportError } from './errors';
import { isUid } from './uids';

/** Where a frame lies in the patient (Frame of Reference, Plane Position and Orientation, Pixel Measures). */
export interface FrameGeometry {
  frameOfReferenceUid: string;
  positionReferenceIndicator: string;
  /** Slice Thickness, mm, when the source states it. */
  sliceThickness: number | null;
  /** Image Position (Patient) of the frame's first pixel centre, mm. */
  position: [number, number, number] | null;
  /** Image Orientation (Patient): row direction, then column direction. */
  orientation: [number, number, number, number, number, number] | null;
}

export interface SourceScan {
  path: string;
  fileName: string;
  sha256: string;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  /** The explained frame (1-based) and how many the instance has. */
  frame: number;
  frames: number;
  rows: number;
  columns: number;
  modality: string | null;
  /** Patient Orientation (row, column directions) of a projection image; null when absent. */
  patientOrientation: string[] | null;
  /** Body Part Examined and Laterality (or Image Laterality), which the derived series repeat. */
  bodyPart: string | null;
  laterality: string | null;
  /** Pixel Spacing (row spacing, column spacing) in mm, or Imager Pixel Spacing for a projection image; null when unknown. */
  pixelSpacing: [number, number] | null;
  geometry: FrameGeometry | null;
  /** Patient, General Study, Patient Study and Clinical Trial attributes, copied as they are. */
  identity: Dataset;
  /** The frame as the reviewer saw it (the explanation's window), 8-bit grey. */
  display: { width: number; height: number; gray: Uint8Array };
}

/** The Patient, General Study, Patient Study and Clinical Trial Subject/Study attributes a derived object repeats. */
const IDENTITY = [
  'PatientName', 'PatientID', 'IssuerOfPatientID', 'IssuerOfPatientIDQualifiersSequence', 'TypeOfPatientID', 'PatientBirthDate', 'PatientBirthTime',
  'PatientSex', 'OtherPatientIDsSequence', 'PatientIdentityRemoved', 'DeidentificationMethod', 'DeidentificationMethodCodeSequence',
  'PatientSpeciesDescription', 'PatientSpeciesCodeSequence', 'PatientBreedDescription', 'PatientBreedCodeSequence', 'BreedRegistrationSequence',
  'ResponsiblePerson', 'ResponsiblePersonRole', 'ResponsibleOrganization',
  'StudyInstanceUID', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber', 'IssuerOfAccessionNumberSequence',
  'StudyDescription', 'ProcedureCodeSequence',
  'PatientAge', 'PatientSize', 'PatientWeight',
  'ClinicalTrialSponsorName', 'ClinicalTrialProtocolID', 'ClinicalTrialProtocolName', 'ClinicalTrialSiteID', 'ClinicalTrialSiteName',
  'ClinicalTrialSubjectID', 'ClinicalTrialSubjectReadingID', 'ClinicalTrialTimePointID', 'ClinicalTrialTimePointDescription',
] as const;

/** Type 2 attributes of the Patient and General Study modules: present, empty when the source lacks them. */
const REQUIRED_EMPTY = ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber'];

function text(ds: Dataset, keyword: string): string | null {
  const v = ds[keyword];
  const first = Array.isArray(v) ? v[0] : v;
  if (typeof first === 'string') return first.trim() || null;
  if (typeof first === 'number') return String(first);
  return null;
}

function numbers(v: DicomValue, count: number): number[] | null {
  if (!Array.isArray(v) || v.length !== count) return null;
  const out = v.map((x) => (typeof x === 'number' ? x : typeof x === 'string' ? Number(x) : NaN));
  return out.every(Number.isFinite) ? out : null;
}

/** The first item of a sequence, if any. */
function item(ds: Dataset | undefined, keyword: string): Dataset | undefined {
  const v = ds?.[keyword];
  return Array.isArray(v) && typeof v[0] === 'object' && v[0] !== null && !('Alphabetic' in v[0]) ? (v[0] as Dataset) : undefined;
}

/**
 * An attribute of a frame: at the top level (single-frame objects), else in the frame's own
 * functional group macro, else in the shared one (enhanced multi-frame objects).
 */
function frameAttribute(ds: Dataset, frame: number, macro: string, keyword: string): DicomValue {
  if (ds[keyword] !== undefined) return ds[keyword];
  const perFrame = ds.PerFrameFunctionalGroupsSequence;
  const own = Array.isArray(perFrame) ? (perFrame[frame - 1] as Dataset | undefined) : undefined;
  return item(own, macro)?.[keyword] ?? item(item(ds, 'SharedFunctionalGroupsSequence'), macro)?.[keyword];
}

function geometryOf(ds: Dataset, frame: number): FrameGeometry | null {
  const frameOfReferenceUid = text(ds, 'FrameOfReferenceUID');
  if (!frameOfReferenceUid || !isUid(frameOfReferenceUid)) return null;
  const position = numbers(frameAttribute(ds, frame, 'PlanePositionSequence', 'ImagePositionPatient'), 3) as FrameGeometry['position'];
  const orientation = numbers(frameAttribute(ds, frame, 'PlaneOrientationSequence', 'ImageOrientationPatient'), 6) as FrameGeometry['orientation'];
  const t = frameAttribute(ds, frame, 'PixelMeasuresSequence', 'SliceThickness');
  const thickness = numbers(Array.isArray(t) ? t : typeof t === 'number' ? [t] : undefined, 1)?.[0] ?? null;
  return {
    frameOfReferenceUid,
    positionReferenceIndicator: text(ds, 'PositionReferenceIndicator') ?? '',
    sliceThickness: thickness !== null && thickness > 0 ? thickness : null,
    position: position && orientation ? position : null,
    orientation: position && orientation ? orientation : null,
  };
}

function pixelSpacingOf(ds: Dataset, frame: number): [number, number] | null {
  const spacing = numbers(frameAttribute(ds, frame, 'PixelMeasuresSequence', 'PixelSpacing'), 2) ?? numbers(ds.ImagerPixelSpacing, 2);
  return spacing && spacing[0]! > 0 && spacing[1]! > 0 ? [spacing[0]!, spacing[1]!] : null;
}

function patientOrientationOf(ds: Dataset): string[] | null {
  const v = ds.PatientOrientation;
  return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
}

function identityOf(ds: Dataset): Dataset {
  const out: Dataset = {};
  for (const k of REQUIRED_EMPTY) out[k] = '';
  for (const k of IDENTITY) if (ds[k] !== undefined) out[k] = ds[k];
  return out;
}

/** The frame under the explanation's window, as the PDF report draws it (colour as its luminance). */
function displayed(scan: LoadedScan, pixels: Float32Array, explanation: Explanation): SourceScan['display'] {
  const { width, height, channels, invertedByDefault } = scan.summary;
  if (channels === 3) {
    const gray = new Uint8Array(width * height);
    for (let i = 0; i < gray.length; i++) gray[i] = Math.round(0.299 * pixels[3 * i]! + 0.587 * pixels[3 * i + 1]! + 0.114 * pixels[3 * i + 2]!);
    return { width, height, gray };
  }
  const p = explanation.params;
  const voi = typeof p.windowCenter === 'number' && typeof p.windowWidth === 'number'
    ? { kind: 'window' as const, center: p.windowCenter, width: p.windowWidth }
    : { kind: 'window' as const, center: (scan.summary.valueRange.min + scan.summary.valueRange.max) / 2, width: Math.max(1, scan.summary.valueRange.max - scan.summary.valueRange.min) };
  return { width, height, gray: toDisplay8(pixels, voi, { invert: invertedByDefault, padding: scan.padding }) };
}

/**
 * Refuses a scan that is not DICOM, before any work is done for it: its results could only be
 * filed as a new patient and study, which would put an explanation under no one's record.
 */
export function refuseNonDicom(path: string, format: 'dicom' | 'png' | 'jpeg'): void {
  if (format === 'dicom') return;
  const kind = format.toUpperCase();
  throw new DicomExportError(
    path,
    `is a ${kind} image, not DICOM: DICOM results must reference the source instance and join its patient's study, which a ${kind} file does not have (export the PDF report instead)`,
  );
}

async function readSourceFile(path: string): Promise<Uint8Array> {
  try {
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DicomExportError(path, code === 'ENOENT' ? 'no such file (the scan the finding was made on is needed to reference it)' : `cannot be read (${(err as Error).message})`);
  }
}

/**
 * Opens the scan an explanation was made on and checks it is that scan (same SHA-256) and a
 * DICOM instance that can be referenced.
 */
export async function openSource(path: string, explanation: Explanation): Promise<SourceScan> {
  const bytes = await readSourceFile(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== explanation.input.scanSha256) {
    throw new DicomExportError(path, `is not the scan this explanation was made on (SHA-256 ${sha256.slice(0, 12)}…, the explanation's scan is ${explanation.input.scanSha256.slice(0, 12)}…)`);
  }
  const scan = await openScanBytes(path, bytes);
  refuseNonDicom(path, scan.summary.format);
  let header: { dataset: Dataset };
  try {
    header = readHeader(bytes);
  } catch (err) {
    throw new DicomExportError(path, `its header cannot be read for referencing (${(err as Error).message}); only DICOM Part 10 files (with the DICM preamble) can be referenced`);
  }
  const ds = header.dataset;
  const uid = (keyword: string, name: string): string => {
    const v = text(ds, keyword);
    if (!v || !isUid(v)) throw new DicomExportError(path, `has no valid ${name} (${v ?? 'missing'}), so results cannot reference it`);
    return v;
  };
  const frame = explanation.input.frame;
  if (frame < 1 || frame > scan.summary.frames) throw new DicomExportError(path, `the explanation is of frame ${frame}, the file has ${scan.summary.frames}`);
  return {
    path,
    fileName: basename(path),
    sha256,
    sopClassUid: uid('SOPClassUID', 'SOP Class UID'),
    sopInstanceUid: uid('SOPInstanceUID', 'SOP Instance UID'),
    seriesInstanceUid: uid('SeriesInstanceUID', 'Series Instance UID'),
    studyInstanceUid: uid('StudyInstanceUID', 'Study Instance UID'),
    frame,
    frames: scan.summary.frames,
    rows: scan.summary.height,
    columns: scan.summary.width,
    modality: text(ds, 'Modality'),
    patientOrientation: patientOrientationOf(ds),
    bodyPart: text(ds, 'BodyPartExamined'),
    laterality: text(ds, 'Laterality') ?? text(ds, 'ImageLaterality'),
    pixelSpacing: pixelSpacingOf(ds, frame),
    geometry: geometryOf(ds, frame),
    identity: identityOf(ds),
    display: displayed(scan, await scan.frame(frame), explanation),
  };
}
