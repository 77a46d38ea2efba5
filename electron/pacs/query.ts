/**
 * A study query, checked once and written for either protocol: QIDO-RS parameters or the C-FIND
 * identifier. Values the standard would read as something else (a backslash is a value separator,
 * control characters end the value) are refused rather than silently changing the match.
 */
import { PacsInputError } from './errors';
import type { StudyQuery } from './types';

export const MAX_MATCHES = 1000;
export const DEFAULT_MATCHES = 200;

const DATE_RANGE = /^(\d{8})?(-)?(\d{8})?$/;

function validDate(d: string): boolean {
  const y = Number(d.slice(0, 4)), m = Number(d.slice(4, 6)), day = Number(d.slice(6, 8));
  const t = new Date(Date.UTC(y, m - 1, day));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === day;
}

/** A DICOM date range (YYYYMMDD, YYYYMMDD-YYYYMMDD, YYYYMMDD-, -YYYYMMDD); ISO dates (YYYY-MM-DD) are accepted on either side of `..`. */
export function normalizeDateRange(input: string): string {
  const s = input.trim();
  const iso = /^(\d{4}-\d{2}-\d{2})?\.\.(\d{4}-\d{2}-\d{2})?$|^(\d{4}-\d{2}-\d{2})$/.exec(s);
  const dicom = iso ? (iso[3] ? iso[3].replace(/-/g, '') : `${(iso[1] ?? '').replace(/-/g, '')}-${(iso[2] ?? '').replace(/-/g, '')}`) : s;
  const m = DATE_RANGE.exec(dicom);
  if (!m || (!m[1] && !m[3]) || (m[1] && m[3] && !m[2])) {
    throw new PacsInputError(`date "${input}" is not a date or range (YYYYMMDD, YYYYMMDD-YYYYMMDD, YYYYMMDD-, -YYYYMMDD)`);
  }
  for (const d of [m[1], m[3]]) if (d && !validDate(d)) throw new PacsInputError(`date "${input}": ${d} is not a calendar date`);
  if (m[1] && m[3] && m[1] > m[3]) throw new PacsInputError(`date "${input}": the range ends before it starts`);
  return dicom;
}

function text(v: string | undefined, what: string, max: number): string | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  if (!s) return undefined;
  if (s.length > max) throw new PacsInputError(`${what} is longer than ${max} characters`);
  if (s.includes('\\') || [...s].some((ch) => ch.charCodeAt(0) < 0x20)) throw new PacsInputError(`${what} "${s}" contains a backslash or a control character`);
  return s;
}

export interface CheckedQuery {
  PatientID?: string;
  PatientName?: string;
  StudyDate?: string;
  ModalitiesInStudy?: string;
  AccessionNumber?: string;
  StudyInstanceUID?: string;
  limit: number;
}

export function checkQuery(q: StudyQuery): CheckedQuery {
  const limit = q.limit ?? DEFAULT_MATCHES;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_MATCHES) throw new PacsInputError(`the match limit must be 1–${MAX_MATCHES}`);
  const modality = text(q.modality, 'the modality', 16)?.toUpperCase();
  if (modality && !/^[A-Z0-9_]+$/.test(modality)) throw new PacsInputError(`modality "${modality}" is not a DICOM modality code (e.g. CT, MR, DX)`);
  const uid = text(q.studyUid, 'the Study Instance UID', 64);
  if (uid && !/^[0-9.]+$/.test(uid)) throw new PacsInputError(`"${uid}" is not a UID (digits and dots)`);
  const out: CheckedQuery = {
    PatientID: text(q.patientId, 'the patient ID', 64),
    PatientName: text(q.patientName, 'the patient name', 64 * 5),
    StudyDate: q.date?.trim() ? normalizeDateRange(q.date) : undefined,
    ModalitiesInStudy: modality,
    AccessionNumber: text(q.accession, 'the accession number', 16),
    StudyInstanceUID: uid,
    limit,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as CheckedQuery;
}

/** The attributes every search asks back, as QIDO `includefield` values. */
export const RETURNED_STUDY_FIELDS = ['StudyDescription', 'ModalitiesInStudy', 'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances'];

export function qidoParams(q: CheckedQuery): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (k !== 'limit') p.set(k, String(v));
  p.set('limit', String(q.limit));
  for (const f of RETURNED_STUDY_FIELDS) p.append('includefield', f);
  return p;
}

/** The C-FIND identifier's matching keys (the return keys are added by the request itself). */
export function cfindKeys(q: CheckedQuery): Record<string, string> {
  const { limit: _limit, ...keys } = q;
  return keys;
}
