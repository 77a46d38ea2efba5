/**
 * Versioned schema of the audit database. PRAGMA user_version holds the version; each
 * migration runs in its own transaction so a crash leaves the file at a whole version.
 * Never edit a released migration: add a new one (tests open files made at every version).
 */
import type Database from 'better-sqlite3';
import { GENESIS_HASH } from './canonical';

/** Tables whose rows may never change or disappear once written. */
export const APPEND_ONLY_TABLES = ['models', 'scans', 'explanations', 'findings', 'audit_events'] as const;

function appendOnlyTriggers(table: string): string {
  return `
    CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE on ${table} is refused'); END;
    CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE on ${table} is refused'); END;`;
}

const V1 = `
  CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    config TEXT NOT NULL
  );
  CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    study_uid TEXT, series_uid TEXT, instance_uid TEXT,
    file_name TEXT, patient_name TEXT, patient_id TEXT
  );
  CREATE TABLE explanations (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    explanation_id TEXT NOT NULL,
    model_id INTEGER NOT NULL REFERENCES models(id),
    scan_id INTEGER NOT NULL REFERENCES scans(id),
    method TEXT NOT NULL,
    similarity REAL NOT NULL,
    provider TEXT NOT NULL,
    body TEXT NOT NULL,
    map_values BLOB
  );
  CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT,
    payload TEXT,
    payload_hash TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE TABLE findings (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE REFERENCES audit_events(seq),
    explanation_row INTEGER NOT NULL REFERENCES explanations(id),
    time TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('agree', 'disagree', 'uncertain')),
    note TEXT NOT NULL,
    study_label TEXT,
    app_version TEXT NOT NULL,
    store_identifying INTEGER NOT NULL
  );
  ${APPEND_ONLY_TABLES.map(appendOnlyTriggers).join('\n')}
`;

/** The chain head, kept by triggers: an insert must link to it, and deleting the last event
 *  leaves a head that points past the end (detectable without any key). */
const V2 = `
  CREATE TABLE chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
  );
  INSERT INTO chain_head (id, seq, hash) VALUES (1,
    COALESCE((SELECT MAX(seq) FROM audit_events), 0),
    COALESCE((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), '${GENESIS_HASH}'));
  CREATE TRIGGER audit_events_link BEFORE INSERT ON audit_events
    WHEN NEW.seq IS NOT (SELECT seq FROM chain_head) + 1 OR NEW.prev_hash IS NOT (SELECT hash FROM chain_head)
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: an event must extend the chain head'); END;
  CREATE TRIGGER audit_events_advance AFTER INSERT ON audit_events
    BEGIN UPDATE chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1; END;
  CREATE TRIGGER chain_head_guard BEFORE UPDATE ON chain_head
    WHEN NEW.seq IS NOT OLD.seq + 1 OR NEW.hash IS NOT (SELECT hash FROM audit_events WHERE seq = NEW.seq)
    BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves with a new event'); END;
  CREATE TRIGGER chain_head_no_delete BEFORE DELETE ON chain_head
    BEGIN SELECT RAISE(ABORT, 'the audit chain head cannot be deleted'); END;
`;

/** Indexes for the audit list filters (reviewer, date, study, method, model). */
const V3 = `
  CREATE INDEX audit_events_actor ON audit_events(actor, seq);
  CREATE INDEX audit_events_time ON audit_events(time);
  CREATE INDEX findings_study ON findings(study_label);
  CREATE INDEX findings_explanation ON findings(explanation_row);
  CREATE INDEX explanations_method ON explanations(method);
  CREATE INDEX explanations_model ON explanations(model_id);
  CREATE INDEX scans_study ON scans(study_uid);
  CREATE INDEX models_name ON models(name);
`;

/** Study filter by UID goes scans → explanations → findings. */
const V4 = `
  CREATE INDEX explanations_scan ON explanations(scan_id);
`;

/**
 * Explanations name how body and map are stored (finding-codec.ts): rows written before this
 * version are CODEC_JSON (1) and keep verifying under the hash they were recorded with; new
 * rows are written deflated (2), which is about a third of the size.
 */
const V5 = `
  ALTER TABLE explanations ADD COLUMN codec INTEGER NOT NULL DEFAULT 1;
`;

/** PRAGMA application_id of a Candor audit log: 'CNDR' in ASCII (0x434E4452). Other SQLite files are refused unchanged. */
export const APPLICATION_ID = 0x434e4452;

/** The unique keys of each table, which INSERT OR REPLACE would otherwise resolve by deleting the old row. */
const UNIQUE_KEYS: Readonly<Record<string, readonly string[]>> = {
  models: ['id', 'key'],
  scans: ['id', 'key'],
  explanations: ['id', 'key'],
  findings: ['rowid', 'id', 'seq'],
  audit_events: ['seq'],
  head_signatures: ['id'],
  chain_head: ['id'],
};

/**
 * REPLACE resolves a conflict by deleting the old row, and SQLite fires no delete trigger for that
 * unless the connection turned recursive_triggers on, which a raw sqlite3 shell does not. A BEFORE
 * INSERT trigger runs before conflicts are resolved, so it refuses any insert that would collide.
 */
function noReplaceTrigger(table: string): string {
  const clash = UNIQUE_KEYS[table].map((k) => `${k} = NEW.${k}`).join(' OR ');
  return `
    CREATE TRIGGER ${table}_no_replace BEFORE INSERT ON ${table}
    WHEN EXISTS (SELECT 1 FROM ${table} WHERE ${clash})
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: an insert into ${table} may not replace a row'); END;`;
}

/**
 * Signatures of the chain head (signing.ts), kept beside the chain rather than in it: a signature
 * after every finding then covers every event, the last one included. A signature names the head
 * it was made for; the application id marks the file as a Candor log.
 */
const V6 = `
  CREATE TABLE head_signatures (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    head_hash TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL,
    time TEXT NOT NULL
  );
  CREATE INDEX head_signatures_key ON head_signatures(public_key, seq);
  ${appendOnlyTriggers('head_signatures')}
  CREATE TRIGGER head_signatures_at_head BEFORE INSERT ON head_signatures
    WHEN NEW.seq IS NOT (SELECT seq FROM chain_head) OR NEW.head_hash IS NOT (SELECT hash FROM chain_head)
    BEGIN SELECT RAISE(ABORT, 'a head signature must sign the current chain head'); END;
  CREATE TRIGGER chain_head_no_insert BEFORE INSERT ON chain_head
    BEGIN SELECT RAISE(ABORT, 'the audit chain head is kept by the log itself: INSERT on chain_head is refused'); END;
  ${Object.keys(UNIQUE_KEYS).filter((t) => t !== 'chain_head').map(noReplaceTrigger).join('\n')}
  PRAGMA application_id = ${APPLICATION_ID};
`;

export const MIGRATIONS: readonly string[] = [V1, V2, V3, V4, V5, V6];
export const LATEST_VERSION = MIGRATIONS.length;
/** The first schema whose explanations have a codec column. */
export const CODEC_SCHEMA = 5;
/** The first schema with head signatures, REPLACE guards and the application id. */
export const SIGNATURE_SCHEMA = 6;

/** Triggers whose absence means someone switched off the database's own protection. */
export const PROTECTIVE_TRIGGERS: readonly string[] = [
  ...APPEND_ONLY_TABLES.flatMap((t) => [`${t}_no_update`, `${t}_no_delete`]),
  'audit_events_link',
  'audit_events_advance',
  'chain_head_guard',
  'chain_head_no_delete',
  'head_signatures_no_update',
  'head_signatures_no_delete',
  'head_signatures_at_head',
  'chain_head_no_insert',
  ...Object.keys(UNIQUE_KEYS).filter((t) => t !== 'chain_head').map((t) => `${t}_no_replace`),
];

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies migrations up to `target` (default: latest). Returns [from, to]. */
export function migrate(db: Database.Database, target: number = LATEST_VERSION): [number, number] {
  const from = schemaVersion(db);
  for (let v = from; v < target; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return [from, Math.max(from, target)];
}
