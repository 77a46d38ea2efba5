/**
 * How a finding is laid out in rows, and the payload hash over exactly those rows.
 *
 * Recording and verification both hash the stored column values through payloadHashOf, so
 * what verify recomputes is byte-for-byte what was written, and anything shown in the app or
 * the PDF (the explanation body, the map, the decision, the note) is covered by the hash.
 */
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import type Database from 'better-sqlite3';
import type { Explanation } from '../electron/api/contract';
import { canonicalFlat, canonicalJson, parseCanonical } from './canonical';

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
  /** Text when read for display; raw UTF-8 bytes when read for verification (no decode needed to hash). */
  body: string | Buffer;
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
export const STORED_FINDING_SQL = storedFindingSql('x.body');

function storedFindingSql(body: string): string {
  return `
  SELECT f.id, f.seq, f.time, f.reviewer, f.decision, f.note, f.study_label, f.app_version, f.store_identifying,
         x.explanation_id, x.method, x.similarity, x.provider, ${body} AS body, x.map_values,
         s.sha256 AS scan_sha256, s.study_uid, s.series_uid, s.instance_uid, s.file_name, s.patient_name, s.patient_id,
         m.name AS model_name, m.sha256 AS model_sha256, m.config AS model_config
  FROM findings f
  LEFT JOIN explanations x ON x.id = f.explanation_row
  LEFT JOIN scans s ON s.id = x.scan_id
  LEFT JOIN models m ON m.id = x.model_id`;
}

/**
 * Every finding as stored, body as bytes, for verification. Models and scans are few and
 * shared, so they are read once into maps instead of being joined (and copied) per row.
 */
export function* storedFindingsForHashing(db: Database.Database): Generator<StoredFinding> {
  type Row = unknown[];
  const models = new Map((db.prepare('SELECT id, name, sha256, config FROM models').raw(true).all() as Row[]).map((r) => [r[0] as number, r]));
  const scans = new Map(
    (db.prepare('SELECT id, sha256, study_uid, series_uid, instance_uid, file_name, patient_name, patient_id FROM scans').raw(true).all() as Row[]).map((r) => [r[0] as number, r]),
  );
  const rows = db
    .prepare(
      `SELECT f.id, f.seq, f.time, f.reviewer, f.decision, f.note, f.study_label, f.app_version, f.store_identifying,
              x.explanation_id, x.method, x.similarity, x.provider, CAST(x.body AS BLOB), x.map_values, x.scan_id, x.model_id
       FROM findings f LEFT JOIN explanations x ON x.id = f.explanation_row`,
    )
    .raw(true)
    .iterate() as IterableIterator<Row>;
  const none: Row = [];
  for (const r of rows) {
    const s = scans.get(r[15] as number) ?? none;
    const m = models.get(r[16] as number) ?? none;
    yield {
      id: r[0] as string, seq: r[1] as number, time: r[2] as string, reviewer: r[3] as string, decision: r[4] as string,
      note: r[5] as string, study_label: r[6] as string | null, app_version: r[7] as string, store_identifying: r[8] as number,
      explanation_id: r[9] as string, method: r[10] as string, similarity: r[11] as number, provider: r[12] as string,
      body: r[13] as Buffer, map_values: r[14] as Buffer | null,
      scan_sha256: s[1] as string, study_uid: (s[2] ?? null) as string | null, series_uid: (s[3] ?? null) as string | null,
      instance_uid: (s[4] ?? null) as string | null, file_name: (s[5] ?? null) as string | null,
      patient_name: (s[6] ?? null) as string | null, patient_id: (s[7] ?? null) as string | null,
      model_name: m[1] as string, model_sha256: m[2] as string, model_config: m[3] as string,
    };
  }
}

/** Map blobs are Float32 little-endian on every platform. */
const LITTLE_ENDIAN = endianness() === 'LE';

const PAYLOAD_TAG = 'candor-finding/1';

/**
 * SHA-256 over a canonical JSON header of the small fields (with the byte lengths of the two
 * large ones), then the explanation body text, then the map blob. The lengths make the framing
 * unambiguous without escaping kilobytes of JSON a second time.
 */
export function payloadHashOf(r: StoredFinding): string {
  const map = r.map_values;
  const body = r.body ?? '';
  const bodyBytes = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  const header = canonicalFlat([
    PAYLOAD_TAG,
    r.id, r.time, r.reviewer, r.decision, r.note, r.study_label, r.app_version, r.store_identifying,
    r.explanation_id, r.method, r.similarity, r.provider,
    r.scan_sha256, r.study_uid, r.series_uid, r.instance_uid, r.file_name, r.patient_name, r.patient_id,
    r.model_name, r.model_sha256, r.model_config,
    r.body == null ? -1 : bodyBytes,
    map ? map.length : -1,
  ]);
  const h = createHash('sha256').update(header);
  if (typeof body === 'string') h.update(body, 'utf8');
  else h.update(body);
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
  if (LITTLE_ENDIAN) Buffer.from(Float32Array.from(values).buffer).copy(map);
  else for (let i = 0; i < values.length; i++) map.writeFloatLE(values[i], i * 4);
  return { body, map };
}

export function decodeExplanation(body: string, map: Buffer | null): Explanation {
  const e = parseCanonical(body) as Explanation & { image: { map: { values?: Float32Array } } | null };
  if (e.image) {
    const n = map ? map.length / 4 : 0;
    const values = new Float32Array(n);
    if (LITTLE_ENDIAN) new Uint8Array(values.buffer).set(map!.subarray(0, n * 4));
    else for (let i = 0; i < n; i++) values[i] = map!.readFloatLE(i * 4);
    e.image.map = { width: e.image.map.width, height: e.image.map.height, values };
  }
  return e as Explanation;
}
