/**
 * How a finding is laid out in rows, and the payload hash over exactly those rows.
 *
 * Recording and verification both hash the stored column values through payloadHashOf, so
 * what verify recomputes is byte-for-byte what was written, and anything shown in the app or
 * the PDF (the explanation body, the map, the decision, the note) is covered by the hash.
 */
import { createHash } from 'node:crypto';
import type { Explanation } from '../electron/api/contract';
import { canonicalJson, parseCanonical } from './canonical';

/** One finding as stored: the findings row joined with its explanation, scan and model. */
export interface StoredFinding {
  id: string;
  seq: number;
  time: string;
  reviewer: string;
  decision: string;
  note: string;
  study_label: string | null;
  app_version: string;
  store_identifying: number;
  explanation_id: string;
  method: string;
  similarity: number;
  provider: string;
  body: string;
  map_values: Buffer | null;
  scan_sha256: string;
  study_uid: string | null;
  series_uid: string | null;
  instance_uid: string | null;
  file_name: string | null;
  patient_name: string | null;
  patient_id: string | null;
  model_name: string;
  model_sha256: string;
  model_config: string;
}

/** SELECT list producing StoredFinding columns; FROM findings f (LEFT JOINs keep a row even when a part is missing). */
export const STORED_FINDING_SQL = `
  SELECT f.id, f.seq, f.time, f.reviewer, f.decision, f.note, f.study_label, f.app_version, f.store_identifying,
         x.explanation_id, x.method, x.similarity, x.provider, x.body, x.map_values,
         s.sha256 AS scan_sha256, s.study_uid, s.series_uid, s.instance_uid, s.file_name, s.patient_name, s.patient_id,
         m.name AS model_name, m.sha256 AS model_sha256, m.config AS model_config
  FROM findings f
  LEFT JOIN explanations x ON x.id = f.explanation_row
  LEFT JOIN scans s ON s.id = x.scan_id
  LEFT JOIN models m ON m.id = x.model_id`;

const PAYLOAD_TAG = 'candor-finding/1';

export function payloadHashOf(r: StoredFinding): string {
  const map = r.map_values;
  const header = canonicalJson([
    PAYLOAD_TAG,
    r.id, r.time, r.reviewer, r.decision, r.note, r.study_label, r.app_version, r.store_identifying,
    r.explanation_id, r.method, r.similarity, r.provider, r.body,
    r.scan_sha256, r.study_uid, r.series_uid, r.instance_uid, r.file_name, r.patient_name, r.patient_id,
    r.model_name, r.model_sha256, r.model_config,
    map ? map.length : -1,
  ]);
  const h = createHash('sha256').update(header);
  if (map) h.update(map);
  return h.digest('hex');
}

/** Splits an explanation into its JSON body (map values left out) and the map as a Float32 LE blob. */
export function encodeExplanation(e: Explanation): { body: string; map: Buffer | null } {
  const values = e.image?.map.values ?? null;
  const body = canonicalJson({
    ...e,
    image: e.image ? { ...e.image, map: { width: e.image.map.width, height: e.image.map.height } } : null,
  });
  if (!values) return { body, map: null };
  const map = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) map.writeFloatLE(values[i], i * 4);
  return { body, map };
}

export function decodeExplanation(body: string, map: Buffer | null): Explanation {
  const e = parseCanonical(body) as Explanation & { image: { map: { values?: Float32Array } } | null };
  if (e.image) {
    const n = map ? map.length / 4 : 0;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = map!.readFloatLE(i * 4);
    e.image.map = { width: e.image.map.width, height: e.image.map.height, values };
  }
  return e as Explanation;
}
