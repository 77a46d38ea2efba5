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

/** What verification needs of a finding: its id and seq, and its recomputed payload hash or why there is none. */
export interface FindingDigest {
  id: string;
  seq: number;
  payloadHash: string | null;
  missing: string | null;
}

/**
 * Digests of every finding after `afterSeq`, recomputed from the stored rows. Raw (array)
 * rows: having SQLite build row objects costs more than hashing them.
 */
export function* findingDigests(db: Database.Database, afterSeq: number): Generator<FindingDigest> {
  const rows = db
    .prepare(
      `SELECT f.id, f.seq, f.time, f.reviewer, f.decision, f.note, f.study_label, f.app_version, f.store_identifying,
              x.explanation_id, x.method, x.similarity, x.provider,
              CAST(x.body AS BLOB), x.map_values, NULL,
              s.sha256, s.study_uid, s.series_uid, s.instance_uid, s.file_name, s.patient_name, s.patient_id,
              x.model_id
       FROM findings f
       LEFT JOIN explanations x ON x.id = f.explanation_row
       LEFT JOIN scans s ON s.id = x.scan_id
       WHERE ${afterSeq === Number.MIN_SAFE_INTEGER ? '+f.seq' : 'f.seq'} > ?`,
    )
    .raw(true)
    .iterate(afterSeq) as IterableIterator<unknown[]>;
  // Models are few: read once, not copied out of a join for every finding.
  const models = new Map((db.prepare('SELECT id, name, sha256, config FROM models').raw(true).all() as unknown[][]).map((m) => [m[0] as number, m]));
  const noModel: unknown[] = [null, null, null, null];
  for (const r of rows) {
    const m = models.get(r[23] as number) ?? noModel;
    const f = {
      id: r[0] as string, seq: r[1] as number, time: r[2] as string, reviewer: r[3] as string, decision: r[4] as string,
      note: r[5] as string, study_label: r[6] as string | null, app_version: r[7] as string, store_identifying: r[8] as number,
      explanation_id: r[9] as string, method: r[10] as string, similarity: r[11] as number, provider: r[12] as string,
      scan_sha256: r[16] as string, study_uid: r[17] as string | null, series_uid: r[18] as string | null, instance_uid: r[19] as string | null,
      file_name: r[20] as string | null, patient_name: r[21] as string | null, patient_id: r[22] as string | null,
      model_name: m[1] as string, model_sha256: m[2] as string, model_config: m[3] as string,
    };
    const missing =
      f.explanation_id == null ? `the explanation of finding ${f.id} is missing`
      : f.scan_sha256 == null ? `the scan of finding ${f.id} is missing`
      : f.model_name == null ? `the model of finding ${f.id} is missing`
      : null;
    let payloadHash: string | null = null;
    if (!missing) {
      const body = r[13] as Buffer | null;
      const map = r[14] as Buffer | null;
      const h = createHash('sha256').update(payloadHeader(f, body ? body.length : -1, map ? map.length : -1));
      if (body) h.update(body);
      if (map) h.update(map);
      payloadHash = h.digest('hex');
    }
    yield { id: f.id, seq: f.seq, missing, payloadHash };
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
  const body = r.body;
  const bodyBytes = body == null ? -1 : typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  const h = createHash('sha256').update(payloadHeader(r, bodyBytes, r.map_values ? r.map_values.length : -1));
  if (typeof body === 'string') h.update(body, 'utf8');
  else if (body) h.update(body);
  if (r.map_values) h.update(r.map_values);
  return h.digest('hex');
}

function payloadHeader(r: Omit<StoredFinding, 'body' | 'map_values'>, bodyBytes: number, mapBytes: number): string {
  return canonicalFlat([
    PAYLOAD_TAG,
    r.id, r.time, r.reviewer, r.decision, r.note, r.study_label, r.app_version, r.store_identifying,
    r.explanation_id, r.method, r.similarity, r.provider,
    r.scan_sha256, r.study_uid, r.series_uid, r.instance_uid, r.file_name, r.patient_name, r.patient_id,
    r.model_name, r.model_sha256, r.model_config,
    bodyBytes,
    mapBytes,
  ]);
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
