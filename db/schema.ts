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

export const MIGRATIONS: readonly string[] = [V1, V2, V3, V4, V5];
export const LATEST_VERSION = MIGRATIONS.length;
/** The first schema whose explanations have a codec column. */
export const CODEC_SCHEMA = 5;

/** Triggers whose absence means someone switched off the database's own protection. */
export const PROTECTIVE_TRIGGERS: readonly string[] = [
  ...APPEND_ONLY_TABLES.flatMap((t) => [`${t}_no_update`, `${t}_no_delete`]),
  'audit_events_link',
  'audit_events_advance',
  'chain_head_guard',
  'chain_head_no_delete',
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
