/**
 * The audit store: append-only, hash-chained record of what the reviewer saw and decided.
 *
 * Guarantees, and where they come from:
 * - append-only: triggers refuse UPDATE/DELETE on every audit table; SQLite's defensive mode
 *   stays on (no writable_schema tricks from inside the app's connection);
 * - durability: WAL with synchronous=FULL, one IMMEDIATE transaction per finding (rows + event);
 * - tamper evidence: each event hashes its fields, the previous event's hash and a payload
 *   hash recomputed from the stored rows; verify() names the first broken event;
 * - outside evidence: with the installation's key, the head is signed after every finding
 *   (head_signatures); writeAnchor() puts a signed head into the anchors folder; verifyEvidence()
 *   trusts only pinned keys and checks anchors kept outside the file (evidence.ts).
 */
import Database from 'better-sqlite3';
import { randomUUID, type KeyObject } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Explanation } from '../native-models/explain/types';
import { DECISIONS, MAX_OUTLINE_POINTS, type ReaderRegion, type AuditRow, type ChainStatus, type Decision, type RecordedFinding, type VerifyReport } from './types';
import { canonicalJson, GENESIS_HASH, parseCanonical, sha256Hex } from './canonical';
import { CHECKPOINT_ACTION, eventHash, FINDING_ACTION, verifyChain, type BreakCode, type EventRow, type VerifiedPrefix } from './chain';
import { CODEC_JSON, decodeFindingBody, encodeExplanation, LATEST_CODEC, payloadHashOf, STORED_FINDING_SQL, type StoredFinding } from './finding-codec';
import { publicKeyOf, signHead, verifyCheckpointSignature, type Checkpoint } from './signing';
import { IntegrityError, NotFoundError, UserInputError } from '../native-models/errors';
import { CODEC_SCHEMA, LATEST_VERSION, migrate, schemaVersion } from './schema';
import { classifyDatabaseFile, openPrivateCopy } from './file-guard';
import { localAnchors, writeAnchorFile, type AnchorClaim } from './anchors';
import { assessEvidence } from './evidence';
import type { TrustStore } from './trust';

/** A log file or request the audit store cannot use (not a Candor log, a newer schema, an unknown finding). */
export class AuditError extends UserInputError {}

export interface FindingInput {
  explanation: Explanation;
  /** The reader's region and its figures, stored with the finding (covered by its payload hash). */
  region?: ReaderRegion | null;
  reviewer: string;
  decision: Decision;
  note: string;
  studyLabel: string | null;
  scan: {
    sha256: string;
    fileName: string;
    studyUid?: string | null;
    seriesUid?: string | null;
    instanceUid?: string | null;
    patientName?: string | null;
    patientId?: string | null;
  };
  appVersion: string;
  storeIdentifying: boolean;
  /** Optional model details beyond name and hash (files' SHA-256, config), stored with the model row. */
  modelInfo?: { files?: Record<string, string>; config?: Record<string, unknown> };
}

export interface AuditFilter {
  reviewer?: string;
  study?: string;
  method?: string;
  model?: string;
  from?: string;
  to?: string;
  search?: string;
  limit?: number;
}

export type VerifyStatus = ChainStatus & {
  reasonCode?: BreakCode;
  missingProtections: string[];
  checkpoints: number;
  /** What PRAGMA integrity_check found (empty: sound); present only when verify was asked for it. */
  integrity?: string[];
};

export interface OpenOptions {
  /**
   * The installation's Ed25519 key (signing.ts): the chain head is signed after every recorded
   * finding, and signCheckpoint()/writeAnchor() sign with it. Without it nothing is signed.
   */
  signingKey?: KeyObject;
  /**
   * Open without writing anything (verification of a copy, CLI listing); the file must exist at the
   * latest schema. On a read-only medium, where SQLite cannot make the -shm a WAL file needs, a
   * private copy is read instead (readOnlyCopy).
   */
  readOnly?: boolean;
  /** Files up to this size get PRAGMA quick_check of the whole file at open, larger ones of the chain tables only (default 1 GiB). */
  quickCheckWholeFileUpTo?: number;
}

const SYSTEM_ACTOR = 'system';
/** About a second of quick_check on this machine: larger files get the chain tables checked at open. */
const QUICK_CHECK_WHOLE_FILE_UP_TO = 2 ** 30;
/** A list filter matching at most this many events drives the query from its index (see listQuery). */
const SPARSE = 2000;
const HEX64 = /^[0-9a-f]{64}$/;

function fail(file: string, what: string): never {
  throw new AuditError(`audit database ${file}: ${what}`);
}

/** The file's evidence does not hold together (damaged pages, a finding that no longer matches its event). */
function broken(file: string, what: string): never {
  throw new IntegrityError(`audit database ${file}: ${what}`);
}

function nonEmpty(file: string, name: string, v: unknown, max = 20000): string {
  if (typeof v !== 'string' || v.trim() === '') fail(file, `${name} is required`);
  if (v.length > max) fail(file, `${name} is longer than ${max} characters`);
  return v;
}

function optionalText(v: string | null | undefined): string | null {
  return v === undefined || v === null || v === '' ? null : v;
}

/** 'YYYY-MM-DD' or a full ISO time → an ISO string comparable with stored event times. */
function normalizeTime(file: string, name: string, value: string, endOfDay: boolean): string {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const d = new Date(dateOnly ? `${value}T00:00:00.000Z` : value);
  if (Number.isNaN(d.getTime())) fail(file, `the ${name} filter '${value}' is not a date (use YYYY-MM-DD or an ISO time)`);
  if (dateOnly && endOfDay) return new Date(d.getTime() + 86_400_000 - 1).toISOString();
  return d.toISOString();
}

function validateExplanation(file: string, e: Explanation): void {
  if (!e || typeof e !== 'object') fail(file, 'the finding has no explanation');
  nonEmpty(file, 'explanation.id', e.id, 200);
  nonEmpty(file, 'explanation.method', e.method, 50);
  if (!e.model || !HEX64.test(String(e.model.sha256).toLowerCase())) fail(file, `explanation ${e.id}: model.sha256 must be 64 hex digits`);
  nonEmpty(file, 'explanation.model.name', e.model.name, 500);
  if (typeof e.similarity !== 'number' || !Number.isFinite(e.similarity)) fail(file, `explanation ${e.id}: the similarity is not a finite number`);
  if (typeof e.provider !== 'string') fail(file, `explanation ${e.id}: provider is missing`);
  if (e.image) {
    const { width, height, values } = e.image.map;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) fail(file, `explanation ${e.id}: the map size ${width}×${height} is not valid`);
    if (!values || values.length !== width * height) fail(file, `explanation ${e.id}: the map holds ${values?.length ?? 0} values, expected ${width}×${height}`);
  }
}

const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);

/** The reader's region as the store keeps it: a box or an outline of finite scan coordinates, and its figures. */
function validateRegion(file: string, r: ReaderRegion): void {
  const g = (r.region ?? {}) as unknown as Record<string, unknown>;
  const pts = g.points;
  const shapeOk =
    g.kind === 'box' ? [g.x, g.y, g.width, g.height].every(finite) && (g.width as number) > 0 && (g.height as number) > 0
    : g.kind === 'outline' ? Array.isArray(pts) && pts.length >= 3 && pts.length <= MAX_OUTLINE_POINTS && pts.every((p: unknown) => Array.isArray(p) && p.length === 2 && finite(p[0]) && finite(p[1]))
    : false;
  if (!shapeOk) fail(file, `the reader's region is not a box or an outline of 3 to ${MAX_OUTLINE_POINTS} finite points`);
  if (!r.scan || !Number.isInteger(r.scan.width) || !Number.isInteger(r.scan.height) || r.scan.width <= 0 || r.scan.height <= 0) fail(file, "the reader's region must name the scan size it was drawn on");
  if (!r.metrics || typeof r.metrics !== 'object' || !Object.values(r.metrics).every(finite)) fail(file, "the reader's region figures must be finite numbers");
}

/** What PRAGMA quick_check / integrity_check found; empty when the file is sound. */
function sqliteCheck(db: Database.Database, pragma: string): string[] {
  let rows: Record<string, string>[];
  try {
    rows = db.pragma(pragma, { simple: false }) as Record<string, string>[];
  } catch (err) {
    return [(err as Error).message]; // damage bad enough that the check itself cannot run
  }
  const found = rows.map((r) => String(Object.values(r)[0]));
  return found.length === 1 && found[0] === 'ok' ? [] : found;
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** Prepared once per connection: re-preparing on every finding costs more than the insert itself. */
function stmt(db: Database.Database, sql: string): Database.Statement {
  let byDb = statements.get(db);
  if (!byDb) statements.set(db, (byDb = new Map()));
  let s = byDb.get(sql);
  if (!s) byDb.set(sql, (s = db.prepare(sql)));
  return s;
}

interface Head {
  seq: number;
  hash: string;
}

function currentHead(db: Database.Database): Head {
  const hasHead = stmt(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chain_head'").get();
  if (hasHead) {
    const h = stmt(db, 'SELECT seq, hash FROM chain_head WHERE id = 1').get() as Head | undefined;
    if (h) return h;
  }
  const last = stmt(db, 'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1').get() as Head | undefined;
  return last ?? { seq: 0, hash: GENESIS_HASH };
}

/** Appends one event linked to the head; call inside a transaction. */
function appendEvent(
  db: Database.Database,
  e: { time: string; actor: string; action: string; entityType: string; entityId: string | null; payload: string | null; payloadHash: string },
): EventRow {
  const head = currentHead(db);
  const row: Omit<EventRow, 'hash'> = {
    seq: head.seq + 1,
    time: e.time,
    actor: e.actor,
    action: e.action,
    entity_type: e.entityType,
    entity_id: e.entityId,
    payload: e.payload,
    payload_hash: e.payloadHash,
    prev_hash: head.hash,
  };
  const full: EventRow = { ...row, hash: eventHash(row) };
  stmt(db, 
    `INSERT INTO audit_events (seq, time, actor, action, entity_type, entity_id, payload, payload_hash, prev_hash, hash)
     VALUES (@seq, @time, @actor, @action, @entity_type, @entity_id, @payload, @payload_hash, @prev_hash, @hash)`,
  ).run(full);
  return full;
}

function appendSystemEvent(db: Database.Database, action: string, entityType: string, entityId: string | null, payload: unknown): EventRow {
  const text = canonicalJson(payload);
  return appendEvent(db, { time: new Date().toISOString(), actor: SYSTEM_ACTOR, action, entityType, entityId, payload: text, payloadHash: sha256Hex(text) });
}

function idFor(db: Database.Database, table: 'models' | 'scans', key: string, insert: () => void): number {
  const found = stmt(db, `SELECT id FROM ${table} WHERE key = ?`).get(key) as { id: number } | undefined;
  if (found) return found.id;
  insert();
  return (stmt(db, `SELECT id FROM ${table} WHERE key = ?`).get(key) as { id: number }).id;
}

/**
 * Writes a finding with its event into an open database (any schema version ≥ 1).
 * Exported for tests that build files at earlier versions; the app goes through AuditStore.
 */
export function writeFinding(db: Database.Database, file: string, input: FindingInput): RecordedFinding {
  const e = input.explanation;
  validateExplanation(file, e);
  const reviewer = nonEmpty(file, 'the reviewer name', input.reviewer, 200).trim();
  if (!DECISIONS.includes(input.decision)) fail(file, `the decision '${String(input.decision)}' is not one of ${DECISIONS.join(', ')}`);
  if (typeof input.note !== 'string') fail(file, 'the note must be text');
  if (!input.scan || !HEX64.test(String(input.scan.sha256).toLowerCase())) fail(file, 'scan.sha256 must be 64 hex digits');
  nonEmpty(file, 'the app version', input.appVersion, 100);
  const ident = input.storeIdentifying === true;
  // Files still at an older schema (tests building them) get the codec that schema knows.
  const region = input.region ?? null;
  if (region) validateRegion(file, region);
  const enc = encodeExplanation(e, schemaVersion(db) >= CODEC_SCHEMA ? LATEST_CODEC : CODEC_JSON, region);
  const { body, map } = enc;
  const modelConfig = canonicalJson({ files: input.modelInfo?.files ?? {}, config: input.modelInfo?.config ?? {} });
  const model = { name: e.model.name, sha256: e.model.sha256.toLowerCase(), config: modelConfig };
  const scan = {
    sha256: input.scan.sha256.toLowerCase(),
    study_uid: optionalText(input.scan.studyUid),
    series_uid: optionalText(input.scan.seriesUid),
    instance_uid: optionalText(input.scan.instanceUid),
    file_name: ident ? optionalText(input.scan.fileName) : null,
    patient_name: ident ? optionalText(input.scan.patientName) : null,
    patient_id: ident ? optionalText(input.scan.patientId) : null,
  };
  const findingId = randomUUID();
  const time = new Date().toISOString();

  const tx = db.transaction((): RecordedFinding => {
    const modelKey = sha256Hex(canonicalJson(['model', model.name, model.sha256, model.config]));
    const modelId = idFor(db, 'models', modelKey, () =>
      stmt(db, 'INSERT INTO models (key, name, sha256, config) VALUES (?, ?, ?, ?)').run(modelKey, model.name, model.sha256, model.config),
    );
    const scanKey = sha256Hex(canonicalJson(['scan', scan]));
    const scanId = idFor(db, 'scans', scanKey, () =>
      db
        .prepare(
          `INSERT INTO scans (key, sha256, study_uid, series_uid, instance_uid, file_name, patient_name, patient_id)
           VALUES (@key, @sha256, @study_uid, @series_uid, @instance_uid, @file_name, @patient_name, @patient_id)`,
        )
        .run({ key: scanKey, ...scan }),
    );
    // The key names the codec too: a finding never points at a row stored under another codec than it hashed.
    const explKey = sha256Hex(canonicalJson([enc.codec === CODEC_JSON ? 'explanation' : `explanation/${enc.codec}`, modelKey, scanKey, enc.json, enc.mapSha256]));
    let explRow = stmt(db, 'SELECT id FROM explanations WHERE key = ?').get(explKey) as { id: number } | undefined;
    if (!explRow) {
      const r =
        enc.codec === CODEC_JSON
          ? stmt(db, 'INSERT INTO explanations (key, explanation_id, model_id, scan_id, method, similarity, provider, body, map_values) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
              explKey, e.id, modelId, scanId, e.method, e.similarity, e.provider, body, map,
            )
          : stmt(db, 'INSERT INTO explanations (key, explanation_id, model_id, scan_id, method, similarity, provider, body, map_values, codec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
              explKey, e.id, modelId, scanId, e.method, e.similarity, e.provider, body, map, enc.codec,
            );
      explRow = { id: Number(r.lastInsertRowid) };
    }
    const stored: StoredFinding = {
      id: findingId,
      seq: 0,
      time,
      reviewer,
      decision: input.decision,
      note: input.note,
      study_label: optionalText(input.studyLabel),
      app_version: input.appVersion,
      store_identifying: ident ? 1 : 0,
      explanation_id: e.id,
      method: e.method,
      similarity: e.similarity,
      provider: e.provider,
      codec: enc.codec,
      body,
      map_values: map,
      scan_sha256: scan.sha256,
      ...scan,
      model_name: model.name,
      model_sha256: model.sha256,
      model_config: model.config,
    };
    const event = appendEvent(db, {
      time,
      actor: reviewer,
      action: FINDING_ACTION,
      entityType: 'finding',
      entityId: findingId,
      payload: null,
      payloadHash: payloadHashOf(stored),
    });
    stmt(db, 
      `INSERT INTO findings (id, seq, explanation_row, time, reviewer, decision, note, study_label, app_version, store_identifying)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(findingId, event.seq, explRow.id, time, reviewer, input.decision, input.note, stored.study_label, input.appVersion, stored.store_identifying);
    return {
      findingId,
      seq: event.seq,
      eventHash: event.hash,
      time,
      reviewer,
      decision: input.decision,
      note: input.note,
      ...decodeFindingBody(body, map, enc.codec),
    };
  });
  return tx.immediate();
}

/** The scan and identifying details kept with a finding (identifying ones only if the user allowed it). */
export interface FindingContext {
  studyLabel: string | null;
  appVersion: string;
  scan: { sha256: string; studyUid: string | null; seriesUid: string | null; instanceUid: string | null; fileName: string | null; patientName: string | null; patientId: string | null };
  storeIdentifying: boolean;
  modelConfig: unknown;
}

/** Read-only opening: SQLITE_OPEN_READONLY in place, or a private copy where the medium cannot take a -shm. */
function openReadOnly(path: string): { db: Database.Database; dispose: (() => void) | null } {
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return { db, dispose: null };
  } catch (err) {
    db?.close();
    // SQLITE_CANTOPEN / SQLITE_READONLY*: a WAL file on a read-only medium (no -shm can be made).
    if (!/^SQLITE_(CANTOPEN|READONLY)/.test(String((err as { code?: unknown }).code ?? ''))) throw err;
    const copy = openPrivateCopy(path);
    return { db: copy.db, dispose: copy.dispose };
  }
}

export class AuditStore {
  readonly path: string;
  readonly readOnly: boolean;
  /** Read through a private copy because the medium is read-only (nothing of the original is written). */
  readonly readOnlyCopy: boolean;
  private readonly db: Database.Database;
  private readonly signingKey: KeyObject | null;
  private readonly disposeCopy: (() => void) | null;
  private verified: (VerifiedPrefix & { dataVersion: number }) | null = null;

  private constructor(path: string, db: Database.Database, readOnly: boolean, signingKey: KeyObject | null, disposeCopy: (() => void) | null) {
    this.path = path;
    this.db = db;
    this.readOnly = readOnly;
    this.readOnlyCopy = disposeCopy !== null;
    this.signingKey = signingKey;
    this.disposeCopy = disposeCopy;
  }

  static open(file: string, opts: OpenOptions = {}): AuditStore {
    const path = resolve(file);
    const readOnly = opts.readOnly === true;
    if (readOnly && !existsSync(path)) fail(path, 'the file does not exist');
    if (!readOnly && !existsSync(dirname(path))) fail(path, `the folder ${dirname(path)} does not exist`);
    if (existsSync(path) && statSync(path).isDirectory()) fail(path, 'this is a folder, not a database file');
    // Decided before SQLite opens the file: another application's database stays byte-identical.
    const kind = classifyDatabaseFile(path);
    if (kind.kind === 'not-sqlite') fail(path, 'is not a database (it does not begin with the SQLite header); it was left unchanged');
    if (kind.kind === 'foreign') fail(path, `is not a Candor audit log: ${kind.why}; it was left unchanged`);
    if (readOnly && kind.kind === 'new') fail(path, 'the file is empty: there is no audit log to read');
    let db: Database.Database;
    let disposeCopy: (() => void) | null = null;
    try {
      if (readOnly) ({ db, dispose: disposeCopy } = openReadOnly(path));
      else db = new Database(path, { fileMustExist: false });
    } catch (err) {
      fail(path, `cannot be opened${readOnly ? ' read-only' : ''}: ${(err as Error).message}`);
    }
    const cleanup = () => {
      db.close();
      disposeCopy?.();
    };
    try {
      db.unsafeMode(false); // keeps SQLITE_DBCONFIG_DEFENSIVE on
      if (!readOnly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        db.pragma('foreign_keys = ON');
      }
      db.pragma('busy_timeout = 5000');
      // quick_check: every page and b-tree of the file is sound (O(file), about 1 ms per MiB);
      // the full integrity_check (indexes against their tables too) takes ~4× as long and runs
      // on demand: checkIntegrity(), verify({ integrity: true }). A file too large to read at
      // every start (full-size maps) gets the check of the chain's own tables only.
      const wholeFile = statSync(path).size <= (opts.quickCheckWholeFileUpTo ?? QUICK_CHECK_WHOLE_FILE_UP_TO);
      const problems = wholeFile
        ? sqliteCheck(db, 'quick_check')
        : (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('audit_events', 'chain_head', 'findings', 'models', 'scans')").pluck().all() as string[]).flatMap(
            (t) => sqliteCheck(db, `quick_check(${t})`),
          );
      if (problems.length) broken(path, `PRAGMA quick_check failed: ${problems.slice(0, 5).join('; ')}`);
      const version = schemaVersion(db);
      if (version > LATEST_VERSION) fail(path, `it was written by a newer Candor (schema ${version}; this version reads up to ${LATEST_VERSION})`);
      if (version < LATEST_VERSION) {
        if (readOnly) fail(path, `it has schema version ${version}; open it once with the application to upgrade it to ${LATEST_VERSION}`);
        db.transaction(() => {
          const [from, to] = migrate(db);
          appendSystemEvent(db, 'schema.migrate', 'schema', String(to), { from, to });
        }).immediate();
        // Puts the new application id into the main file's header now, where the next open looks first.
        db.pragma('wal_checkpoint(PASSIVE)');
      }
    } catch (err) {
      cleanup();
      if (err instanceof AuditError) throw err;
      fail(path, `cannot be used: ${(err as Error).message}`);
    }
    return new AuditStore(path, db, readOnly, readOnly ? null : (opts.signingKey ?? null), disposeCopy);
  }

  private writable(): void {
    if (this.readOnly) fail(this.path, 'it was opened read-only');
  }

  /** Records a finding and, with a signing key, signs the new head in the same transaction. */
  recordFinding(input: FindingInput): RecordedFinding {
    this.writable();
    if (!this.signingKey) return writeFinding(this.db, this.path, input);
    return this.db
      .transaction(() => {
        const rec = writeFinding(this.db, this.path, input);
        this.insertHeadSignature(this.signingKey!);
        return rec;
      })
      .immediate();
  }

  /** Several findings in one transaction (batch import; all or none), each head signed as recordFinding does. */
  recordFindings(inputs: FindingInput[]): RecordedFinding[] {
    this.writable();
    return this.db
      .transaction(() =>
        inputs.map((i) => {
          const rec = writeFinding(this.db, this.path, i);
          if (this.signingKey) this.insertHeadSignature(this.signingKey);
          return rec;
        }),
      )
      .immediate();
  }

  /** Signs the current head into head_signatures (once per head and key); call inside a transaction. */
  private insertHeadSignature(key: KeyObject): Checkpoint | null {
    const head = currentHead(this.db);
    if (head.seq === 0) return null;
    const publicKey = publicKeyOf(key);
    const done = stmt(this.db, 'SELECT signature FROM head_signatures WHERE public_key = ? AND seq = ?').pluck().get(publicKey, head.seq) as string | undefined;
    if (done) return { seq: head.seq, headHash: head.hash, signature: done, publicKey };
    const cp = signHead(key, head.seq, head.hash);
    stmt(this.db, 'INSERT INTO head_signatures (seq, head_hash, public_key, signature, time) VALUES (?, ?, ?, ?, ?)').run(cp.seq, cp.headHash, cp.publicKey, cp.signature, new Date().toISOString());
    return cp;
  }

  private requireKey(): KeyObject {
    this.writable();
    if (!this.signingKey) fail(this.path, 'no signing key was given: nothing can be signed');
    return this.signingKey;
  }

  /** The chain head now. */
  head(): { seq: number; hash: string } {
    return { ...currentHead(this.db) };
  }

  /** What names this log in anchors: the hash of its event 1 (null while it is empty), and its file. */
  identity(): { firstHash: string | null; path: string } {
    const first = stmt(this.db, 'SELECT hash FROM audit_events WHERE seq = 1').pluck().get() as string | undefined;
    return { firstHash: first ?? null, path: this.path };
  }

  /** Signs the head (unless already signed) and returns the signature, for an exported checkpoint. */
  signCurrentHead(): Checkpoint {
    const key = this.requireKey();
    return this.db
      .transaction(() => {
        const cp = this.insertHeadSignature(key);
        if (!cp) fail(this.path, 'the log is empty; there is nothing to sign');
        return cp;
      })
      .immediate();
  }

  /** Signs the head and writes it as a checkpoint file into `dir` (the anchors folder); returns its path. */
  writeAnchor(dir: string): string {
    const cp = this.signCurrentHead();
    return writeAnchorFile(dir, cp, { firstHash: this.identity().firstHash!, path: this.path });
  }

  /**
   * Writes an anchor when at least `every` findings were recorded since the newest one for this log
   * in `dir` (or there is none yet and the log has findings); returns its path, or null.
   */
  anchorIfDue(dir: string, every: number): string | null {
    const { firstHash } = this.identity();
    if (firstHash === null) return null;
    const newest = Math.max(0, ...localAnchors(dir, { firstHash, path: this.path }).claims.filter((c) => c.firstHash === firstHash).map((c) => c.seq));
    const since = stmt(this.db, 'SELECT count(*) FROM findings WHERE seq > ?').pluck().get(newest) as number;
    const head = currentHead(this.db).seq;
    if (head <= newest || since < Math.max(1, every)) return null;
    return this.writeAnchor(dir);
  }

  /** Writes an anchor unless the newest one for this log in `dir` already names the head (the app's exit). */
  anchorIfMoved(dir: string): string | null {
    return this.anchorIfDue(dir, 1);
  }

  private storedFinding(findingId: string): StoredFinding & { event_payload_hash: string | null; event_hash: string | null } {
    const row = this.db
      .prepare(
        `SELECT q.*, ev.payload_hash AS event_payload_hash, ev.hash AS event_hash
         FROM (${STORED_FINDING_SQL} WHERE f.id = ?) q LEFT JOIN audit_events ev ON ev.seq = q.seq`,
      )
      .get(findingId) as (StoredFinding & { event_payload_hash: string | null; event_hash: string | null }) | undefined;
    if (!row) throw new NotFoundError(`audit database ${this.path}: no finding with id ${findingId}`);
    if (row.body == null) fail(this.path, `finding ${findingId}: its explanation is missing`);
    if (row.event_payload_hash !== payloadHashOf(row)) {
      broken(this.path, `finding ${findingId} does not match its audit event ${row.seq} (it was changed or its event removed); run verify`);
    }
    return row;
  }

  private decoded(row: StoredFinding): { explanation: Explanation; region?: ReaderRegion } {
    try {
      return decodeFindingBody(row.body, row.map_values, row.codec);
    } catch (err) {
      broken(this.path, `finding ${row.id}: its explanation cannot be decoded (${(err as Error).message})`);
    }
  }

  /** The finding exactly as recorded; refuses one whose rows no longer match their event's hash. */
  getFinding(findingId: string): RecordedFinding {
    const row = this.storedFinding(findingId);
    return {
      findingId: row.id,
      seq: row.seq,
      eventHash: row.event_hash!,
      time: row.time,
      reviewer: row.reviewer,
      decision: row.decision as Decision,
      note: row.note,
      ...this.decoded(row),
    };
  }

  getFindingContext(findingId: string): FindingContext {
    const row = this.storedFinding(findingId);
    return {
      studyLabel: row.study_label,
      appVersion: row.app_version,
      storeIdentifying: row.store_identifying === 1,
      scan: {
        sha256: row.scan_sha256,
        studyUid: row.study_uid,
        seriesUid: row.series_uid,
        instanceUid: row.instance_uid,
        fileName: row.file_name,
        patientName: row.patient_name,
        patientId: row.patient_id,
      },
      modelConfig: parseCanonical(row.model_config),
    };
  }

  /** Events newest first, filtered; finding columns are null for system events. */
  list(filter: AuditFilter = {}): AuditRow[] {
    const { sql, args } = this.listQuery(filter);
    return this.db.prepare(sql).all(args) as AuditRow[];
  }

  /** SQLite's plan for list(filter) (EXPLAIN QUERY PLAN details), for tests and tuning. */
  listPlan(filter: AuditFilter = {}): string[] {
    const { sql, args } = this.listQuery(filter);
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(args) as { detail: string }[]).map((r) => r.detail);
  }

  /** How many rows `sql` yields, counting no further than SPARSE + 1 (index steps only). */
  private boundedCount(sql: string, args: Record<string, string | number>): number {
    return stmt(this.db, `SELECT count(*) FROM (${sql} LIMIT ${SPARSE + 1})`).pluck().get(args) as number;
  }

  /**
   * The list is newest first with a limit, so SQLite's best plan is usually to walk events by
   * seq downwards and stop at the limit. A filter that matches few events would make that walk
   * read the whole log, so each filter that has an index is first counted through it (bounded):
   * the rarest one under SPARSE drives the query from its index, the others stay conditions.
   */
  private listQuery(filter: AuditFilter): { sql: string; args: Record<string, string | number> } {
    const where: string[] = [];
    const args: Record<string, string | number> = {};
    /** Filters that can drive the query from an index: their matching seqs, and the plain condition otherwise. */
    const drivers: { seqs: string; condition: string }[] = [];
    if (filter.reviewer) {
      // audit_events_actor (actor, seq) already yields the reviewer's events newest first.
      where.push('e.actor = @reviewer');
      args.reviewer = filter.reviewer;
    }
    if (filter.study) {
      args.study = filter.study;
      drivers.push({
        seqs: `SELECT seq FROM findings WHERE study_label = @study
               UNION ALL SELECT f2.seq FROM scans s2 JOIN explanations x2 ON x2.scan_id = s2.id JOIN findings f2 ON f2.explanation_row = x2.id WHERE s2.study_uid = @study
               UNION ALL SELECT seq FROM audit_events WHERE entity_type = 'study' AND entity_id = @study`,
        condition: "(f.study_label = @study OR s.study_uid = @study OR (e.entity_type = 'study' AND e.entity_id = @study))",
      });
    }
    if (filter.method) {
      args.method = filter.method;
      drivers.push({
        seqs: 'SELECT f2.seq FROM explanations x2 JOIN findings f2 ON f2.explanation_row = x2.id WHERE x2.method = @method',
        condition: 'x.method = @method',
      });
    }
    if (filter.model) {
      args.model = filter.model;
      const match = (m: string) => `(${m}.name = @model OR (length(@model) >= 8 AND ${m}.sha256 LIKE @model || '%'))`;
      drivers.push({
        // Models are few: their ids first, then explanations_model (an OR across the join would scan findings).
        seqs: `SELECT f2.seq FROM explanations x2 JOIN findings f2 ON f2.explanation_row = x2.id WHERE x2.model_id IN (SELECT m2.id FROM models m2 WHERE ${match('m2')})`,
        condition: match('m'),
      });
    }
    if (filter.from || filter.to) {
      const range: string[] = [];
      if (filter.from) {
        args.from = normalizeTime(this.path, 'from', filter.from, false);
        range.push('time >= @from');
      }
      if (filter.to) {
        args.to = normalizeTime(this.path, 'to', filter.to, true);
        range.push('time <= @to');
      }
      // '+': a wide range is read by seq (newest first, stopping at the limit) instead of sorting an index range.
      drivers.push({ seqs: `SELECT seq FROM audit_events WHERE ${range.join(' AND ')}`, condition: range.map((c) => `+e.${c}`).join(' AND ') });
    }
    if (filter.search) {
      where.push(
        "(instr(lower(coalesce(f.note, '')), @search) > 0 OR instr(lower(coalesce(f.study_label, '')), @search) > 0" +
          " OR instr(lower(e.actor), @search) > 0 OR instr(lower(e.action), @search) > 0 OR instr(lower(coalesce(f.id, '')), @search) > 0)",
      );
      args.search = filter.search.toLowerCase();
    }
    const limit = filter.limit ?? 500;
    if (!Number.isInteger(limit) || limit < 1) fail(this.path, `the list limit ${limit} must be a positive whole number`);

    let driver: { seqs: string; condition: string } | null = null;
    let fewest = SPARSE + 1;
    for (const d of drivers) {
      const n = this.boundedCount(d.seqs, args);
      if (n < fewest) [driver, fewest] = [d, n];
    }
    for (const d of drivers) where.push(d === driver ? `e.seq IN (${d.seqs})` : d.condition);
    args.limit = limit;
    const sql = `
      SELECT e.seq, e.time, e.actor, e.action, e.hash AS eventHash, f.id AS findingId,
             coalesce(f.study_label, s.study_uid, CASE WHEN e.entity_type = 'study' THEN e.entity_id END) AS study, m.name AS model, m.sha256 AS modelSha256,
             x.method, x.similarity, f.decision
      FROM audit_events e
      LEFT JOIN findings f ON f.seq = e.seq
      LEFT JOIN explanations x ON x.id = f.explanation_row
      LEFT JOIN scans s ON s.id = x.scan_id
      LEFT JOIN models m ON m.id = x.model_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY e.seq DESC
      LIMIT @limit`;
    return { sql, args };
  }

  /** The finding recorded by event `seq`; a NotFoundError when that event records none. */
  findingIdAt(seq: number): string {
    const ev = stmt(this.db, 'SELECT action, entity_id FROM audit_events WHERE seq = ?').get(seq) as { action: string; entity_id: string | null } | undefined;
    if (!ev) throw new NotFoundError(`audit database ${this.path}: there is no event ${seq}`);
    if (ev.action !== FINDING_ACTION || !ev.entity_id) throw new NotFoundError(`audit database ${this.path}: event ${seq} records '${ev.action}', not a finding`);
    return ev.entity_id;
  }

  /** Full event rows, oldest first (for export and `show --seq`). */
  events(fromSeq = 1, limit = 1_000_000): EventRow[] {
    return this.db.prepare('SELECT * FROM audit_events WHERE seq >= ? ORDER BY seq LIMIT ?').all(fromSeq, limit) as EventRow[];
  }

  /**
   * Recomputes the chain and every payload hash. Within one process the verified prefix is
   * remembered: while no other connection has committed to the file (PRAGMA data_version
   * unchanged), only the events appended since are checked. `full: true` always starts at 1.
   */
  verify(opts: { full?: boolean; integrity?: boolean } = {}): VerifyStatus {
    const dataVersion = this.db.pragma('data_version', { simple: true }) as number;
    const resume = !opts.full && this.verified && this.verified.dataVersion === dataVersion ? this.verified : null;
    const { verifiedHead, ...status } = verifyChain(this.db, resume);
    this.verified = status.ok ? { seq: verifiedHead.seq, hash: verifiedHead.hash, checkpoints: status.checkpoints, dataVersion } : null;
    if (!opts.integrity) return status;
    const integrity = this.checkIntegrity();
    if (!status.ok || integrity.length === 0) return { ...status, integrity };
    return { ...status, integrity, ok: false, reasonCode: 'corrupt', reason: `the file is damaged (PRAGMA integrity_check): ${integrity.slice(0, 5).join('; ')}` };
  }

  /**
   * PRAGMA integrity_check over the whole file (open runs only quick_check): also compares
   * every index with its table, so a list filter cannot silently miss rows. Empty when sound.
   */
  checkIntegrity(): string[] {
    return sqliteCheck(this.db, 'integrity_check');
  }

  /**
   * Signs the current chain head and records the checkpoint as an event of its own (so the log
   * shows when a checkpoint was exported); that event is covered by a head signature made right
   * after. Returns the checkpoint over the head before the event (what is exported).
   */
  signCheckpoint(): Checkpoint {
    const key = this.requireKey();
    return this.db
      .transaction(() => {
        const head = currentHead(this.db);
        if (head.seq === 0) fail(this.path, 'the log is empty; there is nothing to sign');
        const cp = signHead(key, head.seq, head.hash);
        appendSystemEvent(this.db, CHECKPOINT_ACTION, 'checkpoint', String(head.seq), cp);
        this.insertHeadSignature(key);
        return cp;
      })
      .immediate();
  }

  /**
   * The chain, then who vouches for it and what it still matches: signatures by pinned keys,
   * the anchors given, the installation's anchors folder. Reports coverage (see evidence.ts).
   */
  verifyEvidence(opts: { trust: TrustStore; anchors?: AnchorClaim[]; anchorsDir?: string | null; full?: boolean; integrity?: boolean }): VerifyReport {
    const chain = this.verify({ full: opts.full, integrity: opts.integrity });
    const local = opts.anchorsDir ? localAnchors(opts.anchorsDir, this.identity()) : { claims: [], unreadable: [] };
    return this.db
      .transaction(() =>
        assessEvidence(chain, {
          db: this.db,
          path: this.path,
          trust: opts.trust,
          given: opts.anchors ?? [],
          local: local.claims,
          unreadableAnchors: local.unreadable,
          readOnlyCopy: this.readOnlyCopy,
        }),
      )
      .deferred();
  }

  /** Checks an exported checkpoint against this file: valid signature and the same hash at its seq. */
  checkCheckpoint(cp: Checkpoint, trustedPublicKey?: string): { ok: boolean; reason: string | null } {
    if (!verifyCheckpointSignature(cp)) return { ok: false, reason: 'the checkpoint signature is not valid' };
    if (trustedPublicKey && trustedPublicKey !== cp.publicKey) return { ok: false, reason: 'the checkpoint was signed by a different key' };
    const row = this.db.prepare('SELECT hash FROM audit_events WHERE seq = ?').get(cp.seq) as { hash: string } | undefined;
    if (!row) return { ok: false, reason: `event ${cp.seq} named by the checkpoint is missing (deleted)` };
    if (row.hash !== cp.headHash) return { ok: false, reason: `event ${cp.seq} no longer has the signed hash (the chain was rewritten up to it)` };
    return { ok: true, reason: null };
  }

  /**
   * Appends an event that is not a finding (a PACS pull or push, …) to the hash chain: its payload
   * is stored as canonical JSON and covered by payload_hash, so verify() checks it like any other.
   */
  recordEvent(e: { actor: string; action: string; entityType: string; entityId: string | null; payload: unknown }): { seq: number; eventHash: string; time: string } {
    this.writable();
    const actor = nonEmpty(this.path, 'the actor', e.actor, 200).trim();
    if (!/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/.test(e.action) || e.action === FINDING_ACTION || e.action === CHECKPOINT_ACTION) {
      fail(this.path, `'${e.action}' cannot be recorded as an event (a dotted lower-case name other than ${FINDING_ACTION} and ${CHECKPOINT_ACTION})`);
    }
    const payload = canonicalJson(e.payload);
    const time = new Date().toISOString();
    return this.db
      .transaction(() => {
        const row = appendEvent(this.db, { time, actor, action: e.action, entityType: nonEmpty(this.path, 'the entity type', e.entityType, 50), entityId: e.entityId, payload, payloadHash: sha256Hex(payload) });
        // Signed like a finding, so the newest event is covered too.
        if (this.signingKey) this.insertHeadSignature(this.signingKey);
        return { seq: row.seq, eventHash: row.hash, time };
      })
      .immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.disposeCopy?.();
  }
}
