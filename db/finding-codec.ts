/**
 * How a finding is laid out in rows, and the payload hash over exactly those rows.
 *
 * Recording and verification both hash the stored column values through payloadHashOf, so
 * what verify recomputes is byte-for-byte what was written, and anything shown in the app or
 * the PDF (the explanation body, the map, the decision, the note) is covered by the hash.
 */
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type Database from 'better-sqlite3';
import type { Explanation } from '../native-models/explain/types';
import type { ReaderRegion } from './types';
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
  /** How body and map_values are encoded (CODEC_JSON or CODEC_DEFLATE). */
  codec: number;
  /** CODEC_JSON: canonical JSON text (or its UTF-8 bytes); CODEC_DEFLATE: raw deflate of those bytes. */
  body: string | Buffer;
  /** CODEC_JSON: Float32 LE; CODEC_DEFLATE: raw deflate of the Float32 LE bytes shuffled into byte planes. */
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
         x.explanation_id, x.method, x.similarity, x.provider, x.codec, ${body} AS body, x.map_values,
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

/** Explanation rows written before schema 5 have no codec column: all of them are CODEC_JSON. */
export function codecColumn(db: Database.Database, alias: string): string {
  const has = (db.prepare("SELECT 1 FROM pragma_table_info('explanations') WHERE name = 'codec'").get() as unknown) !== undefined;
  return has ? `${alias}.codec` : String(CODEC_JSON);
}

/**
 * The columns of a finding that its payload hash covers, as a raw row (see FINDING_COLUMNS):
 * having SQLite build row objects costs more than hashing them. FROM findings f LEFT JOIN
 * explanations x LEFT JOIN scans s; the model comes from x.model_id (models are few, read once).
 */
export function findingColumnsSql(codec: string): string {
  return `f.id, f.seq, f.time, f.reviewer, f.decision, f.note, f.study_label, f.app_version, f.store_identifying,
          x.explanation_id, x.method, x.similarity, x.provider, ${codec}, CAST(x.body AS BLOB), x.map_values,
          s.sha256, s.study_uid, s.series_uid, s.instance_uid, s.file_name, s.patient_name, s.patient_id, x.model_id`;
}
/** Number of columns findingColumnsSql yields. */
export const FINDING_COLUMNS = 24;

/** All models by id, as [id, name, sha256, config]. */
export function modelsById(db: Database.Database): Map<number, unknown[]> {
  return new Map((db.prepare('SELECT id, name, sha256, config FROM models').raw(true).all() as unknown[][]).map((m) => [m[0] as number, m]));
}
const NO_MODEL: unknown[] = [null, null, null, null];

/**
 * Payload digest of a finding from a raw row whose columns from index `at` are findingColumnsSql's.
 * `missing` says which part is gone when the hash cannot be computed.
 */
export function digestOfRawFinding(r: unknown[], at: number, models: Map<number, unknown[]>): FindingDigest {
  const m = models.get(r[at + 23] as number) ?? NO_MODEL;
  const id = r[at] as string;
  const missing =
    r[at + 9] == null ? `the explanation of finding ${id} is missing`
    : r[at + 16] == null ? `the scan of finding ${id} is missing`
    : m[1] == null ? `the model of finding ${id} is missing`
    : null;
  let payloadHash: string | null = null;
  if (!missing) {
    const body = r[at + 14] as Buffer | null;
    const map = r[at + 15] as Buffer | null;
    const header = canonicalFlat([
      payloadTag(r[at + 13] as number),
      id, r[at + 2] as string, r[at + 3] as string, r[at + 4] as string, r[at + 5] as string, r[at + 6] as string | null, r[at + 7] as string, r[at + 8] as number,
      r[at + 9] as string, r[at + 10] as string, r[at + 11] as number, r[at + 12] as string,
      r[at + 16] as string, r[at + 17] as string | null, r[at + 18] as string | null, r[at + 19] as string | null, r[at + 20] as string | null, r[at + 21] as string | null, r[at + 22] as string | null,
      m[1] as string, m[2] as string, m[3] as string,
      body ? body.length : -1,
      map ? map.length : -1,
    ]);
    const h = createHash('sha256').update(header);
    if (body) h.update(body);
    if (map) h.update(map);
    payloadHash = h.digest('hex');
  }
  return { id, seq: r[at + 1] as number, missing, payloadHash };
}

/** Digests of every finding after `afterSeq`, in seq order, recomputed from the stored rows. */
export function* findingDigests(db: Database.Database, afterSeq: number): Generator<FindingDigest> {
  const models = modelsById(db);
  const rows = db
    .prepare(
      `SELECT ${findingColumnsSql(codecColumn(db, 'x'))}
       FROM findings f
       LEFT JOIN explanations x ON x.id = f.explanation_row
       LEFT JOIN scans s ON s.id = x.scan_id
       WHERE f.seq > ?
       ORDER BY f.seq`,
    )
    .raw(true)
    .iterate(afterSeq) as IterableIterator<unknown[]>;
  for (const r of rows) yield digestOfRawFinding(r, 0, models);
}

/** Map blobs are Float32 little-endian on every platform. */
const LITTLE_ENDIAN = endianness() === 'LE';

/** Explanation rows before schema 5: body = canonical JSON text, map = Float32 LE. */
export const CODEC_JSON = 1;
/**
 * Since schema 5: body = raw deflate of the canonical JSON bytes, map = raw deflate of the
 * Float32 LE bytes shuffled into byte planes (all first bytes, then all second bytes, ...),
 * which lets deflate find the slowly changing exponent and high mantissa bytes. Lossless;
 * about a third of the JSON's size and half of a smooth map's. The payload hash covers the
 * stored (compressed) bytes, so verification never inflates anything.
 */
export const CODEC_DEFLATE = 2;
export const LATEST_CODEC = CODEC_DEFLATE;

function payloadTag(codec: number): string {
  return codec === CODEC_JSON ? 'candor-finding/1' : `candor-finding/${codec}`;
}

/**
 * SHA-256 over a canonical JSON header of the small fields (with the byte lengths of the two
 * large ones), then the stored explanation body bytes, then the stored map bytes. The lengths
 * make the framing unambiguous without escaping kilobytes of JSON a second time; the header's
 * tag names the codec, so a row cannot be re-read under another codec unnoticed.
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
    payloadTag(r.codec),
    r.id, r.time, r.reviewer, r.decision, r.note, r.study_label, r.app_version, r.store_identifying,
    r.explanation_id, r.method, r.similarity, r.provider,
    r.scan_sha256, r.study_uid, r.series_uid, r.instance_uid, r.file_name, r.patient_name, r.patient_id,
    r.model_name, r.model_sha256, r.model_config,
    bodyBytes,
    mapBytes,
  ]);
}

export interface EncodedExplanation {
  codec: number;
  /** What goes into explanations.body. */
  body: string | Buffer;
  /** What goes into explanations.map_values. */
  map: Buffer | null;
  /** Canonical JSON of the explanation without its map values, and SHA-256 of the Float32 LE map (codec-independent identity). */
  json: string;
  mapSha256: string | null;
}

function float32LE(values: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(values.length * 4);
  if (LITTLE_ENDIAN) Buffer.from(Float32Array.from(values).buffer).copy(out);
  else for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i], i * 4);
  return out;
}

function toBytePlanes(le: Buffer): Buffer {
  const n = le.length >> 2;
  const out = Buffer.allocUnsafe(le.length);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    out[i] = le[j];
    out[n + i] = le[j + 1];
    out[2 * n + i] = le[j + 2];
    out[3 * n + i] = le[j + 3];
  }
  return out;
}

function fromBytePlanes(planes: Buffer): Buffer {
  const n = planes.length >> 2;
  const out = Buffer.allocUnsafe(n * 4);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    out[j] = planes[i];
    out[j + 1] = planes[n + i];
    out[j + 2] = planes[2 * n + i];
    out[j + 3] = planes[3 * n + i];
  }
  return out;
}

/**
 * The key under which the reader's region travels in the explanation body: the body is hashed
 * byte for byte into the finding's payload hash, so the region and its figures are covered by the
 * chain and its signatures without a new column, and a body without the key (every record made
 * before regions existed) reads as "no region".
 */
const REGION_KEY = 'readerRegion';

/**
 * Splits an explanation (with the reader's region, if any) into its JSON body (map values left
 * out) and its map, stored under `codec`.
 */
export function encodeExplanation(e: Explanation, codec: number = LATEST_CODEC, region: ReaderRegion | null = null): EncodedExplanation {
  const values = e.image?.map.values ?? null;
  const json = canonicalJson({
    ...e,
    image: e.image ? { ...e.image, map: { width: e.image.map.width, height: e.image.map.height } } : null,
    ...(region ? { [REGION_KEY]: region } : {}),
  });
  const raw = values ? float32LE(values) : null;
  const mapSha256 = raw ? createHash('sha256').update(raw).digest('hex') : null;
  if (codec === CODEC_JSON) return { codec, body: json, map: raw, json, mapSha256 };
  if (codec !== CODEC_DEFLATE) throw new RangeError(`unknown explanation codec ${codec}`);
  return {
    codec,
    body: deflateRawSync(Buffer.from(json, 'utf8'), { level: 6 }),
    map: raw ? deflateRawSync(toBytePlanes(raw), { level: 6 }) : null,
    json,
    mapSha256,
  };
}

/** The explanation from its stored columns (body as text or bytes, as SQLite returned it). */
export function decodeExplanation(body: string | Buffer, map: Buffer | null, codec: number = CODEC_JSON): Explanation {
  return decodeFindingBody(body, map, codec).explanation;
}

/** The explanation and the reader's region (absent when none was stored) from the stored columns. */
export function decodeFindingBody(body: string | Buffer, map: Buffer | null, codec: number = CODEC_JSON): { explanation: Explanation; region?: ReaderRegion } {
  let text: string;
  let le: Buffer | null;
  if (codec === CODEC_JSON) {
    text = typeof body === 'string' ? body : body.toString('utf8');
    le = map;
  } else if (codec === CODEC_DEFLATE) {
    if (typeof body === 'string') throw new TypeError('a deflated explanation body must be read as bytes');
    text = inflateRawSync(body).toString('utf8');
    le = map ? fromBytePlanes(inflateRawSync(map)) : null;
  } else {
    throw new RangeError(`unknown explanation codec ${codec}`);
  }
  const { [REGION_KEY]: region, ...e } = parseCanonical(text) as Explanation & { image: { map: { values?: Float32Array } } | null; [REGION_KEY]?: ReaderRegion };
  if (e.image) {
    const n = le ? le.length >> 2 : 0;
    const values = new Float32Array(n);
    if (LITTLE_ENDIAN) new Uint8Array(values.buffer).set(le!.subarray(0, n * 4));
    else for (let i = 0; i < n; i++) values[i] = le!.readFloatLE(i * 4);
    e.image.map = { width: e.image.map.width, height: e.image.map.height, values };
  }
  return { explanation: e as Explanation, ...(region ? { region } : {}) };
}
