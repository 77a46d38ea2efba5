/**
 * Study matches from what nodes answer: the DICOM JSON model (QIDO-RS, PS3.18 F.2) or a C-FIND
 * identifier as dcmjs naturalizes it. Both end as the same StudyMatch.
 */
import type { StudyMatch } from './types';

export type DicomJson = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

export const TAG = {
  StudyDate: '00080020',
  StudyTime: '00080030',
  AccessionNumber: '00080050',
  ModalitiesInStudy: '00080061',
  StudyDescription: '00081030',
  PatientName: '00100010',
  PatientID: '00100020',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SOPInstanceUID: '00080018',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
} as const;

function personName(v: unknown): string | null {
  if (typeof v === 'string') return v || null;
  if (v && typeof v === 'object' && 'Alphabetic' in v) {
    const a = (v as { Alphabetic?: unknown }).Alphabetic;
    return typeof a === 'string' && a ? a : null;
  }
  return null;
}

function scalar(v: unknown): string | null {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v.trim() || null;
  return personName(v);
}

function count(v: string | null): number | null {
  if (v === null) return null;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** Every value of a tag in a DICOM JSON object, as text. */
export function jsonValues(obj: DicomJson, tag: string): string[] {
  const el = obj[tag] ?? obj[tag.toLowerCase()];
  return (el?.Value ?? []).map(scalar).filter((x): x is string => x !== null);
}

export function jsonValue(obj: DicomJson, tag: string): string | null {
  return jsonValues(obj, tag)[0] ?? null;
}

function matchFrom(get: (name: keyof typeof TAG) => string[]): StudyMatch | null {
  const one = (n: keyof typeof TAG) => get(n)[0] ?? null;
  const studyUid = one('StudyInstanceUID');
  if (!studyUid) return null;
  return {
    studyUid,
    patientId: one('PatientID'),
    patientName: one('PatientName'),
    studyDate: one('StudyDate'),
    studyTime: one('StudyTime'),
    accession: one('AccessionNumber'),
    description: one('StudyDescription'),
    modalities: get('ModalitiesInStudy').flatMap((m) => m.split('\\')).filter(Boolean),
    series: count(one('NumberOfStudyRelatedSeries')),
    instances: count(one('NumberOfStudyRelatedInstances')),
  };
}

export function matchFromJson(obj: DicomJson): StudyMatch | null {
  return matchFrom((name) => jsonValues(obj, TAG[name]));
}

/** A C-FIND identifier as dcmjs gives it (keywords → a value or an array of values). */
export function matchFromNaturalized(elements: Record<string, unknown>): StudyMatch | null {
  return matchFrom((name) => {
    const v = elements[name];
    const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
    return list.map(scalar).filter((x): x is string => x !== null);
  });
}
