/**
 * The hash chain over audit events and its verification.
 *
 * hash(event) = SHA-256 of the canonical JSON array
 *   ['candor-event/1', seq, time, actor, action, entity_type, entity_id, payload_hash, prev_hash]
 * so any change to a chain field or to the position of an event changes its hash; the
 * payload itself is covered through payload_hash (recomputed from the rows it describes).
 *
 * verify runs a fast pass first (scanRange: is everything intact?, split over worker threads
 * by parallel-verify.ts on large files) and the walk only when it is not sure: the walk names
 * the first broken event and why.
 */
import { hash as oneShotHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { canonicalFlat, GENESIS_HASH, parseCanonical, sha256Hex } from './canonical';
import { codecColumn, digestOfRawFinding, findingColumnsSql, findingDigests, modelsById, type FindingDigest } from './finding-codec';
import { verifyCheckpointSignature, type Checkpoint } from './signing';
import { PROTECTIVE_TRIGGERS } from './schema';
import { scanChunks } from './parallel-verify';
import { canonicalNumberText, scanPages, type RangeScan } from './fast-scan';

export type { RangeScan } from './fast-scan';

export interface EventRow {
  seq: number;
  time: string;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  payload: string | null;
  payload_hash: string;
  prev_hash: string;
  hash: string;
}

/** 'corrupt': the file itself is damaged (PRAGMA integrity_check), reported by verify({ integrity: true }). */
export type BreakCode = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'payload' | 'corrupt';

export interface VerifyResult {
  ok: boolean;
  events: number;
  firstBroken: number | null;
  reason: string | null;
  reasonCode?: BreakCode;
  /** Append-only triggers that are missing from the file (the database's own guard was removed). */
  missingProtections: string[];
  checkpoints: number;
  /** The last event looked at (meaningful when ok): where an incremental verification resumes. */
  verifiedHead: { seq: number; hash: string };
}

export const FINDING_ACTION = 'finding.record';
export const CHECKPOINT_ACTION = 'checkpoint.sign';

export function eventHash(e: Omit<EventRow, 'hash' | 'payload'>): string {
  return sha256Hex(canonicalFlat(['candor-event/1', e.seq, e.time, e.actor, e.action, e.entity_type, e.entity_id, e.payload_hash, e.prev_hash]));
}

interface Break {
  seq: number;
  code: BreakCode;
  reason: string;
}

/** The seq of the file under which this row's stored hash is valid (the caller knows it is not valid under its own). */
function validSeqElsewhere(row: EventRow, maxSeq: number): number | null {
  for (let s = 1; s <= maxSeq; s++) {
    if (eventHash({ ...row, seq: s }) === row.hash) return s;
  }
  return null;
}

function findingProblem(e: EventRow, claimed: FindingDigest | undefined): string | null {
  if (!claimed) return `the finding ${e.entity_id} recorded by event ${e.seq} is missing from the findings table`;
  if (claimed.id !== e.entity_id) return `event ${e.seq} records finding ${e.entity_id} but the findings table gives ${claimed.id} for it`;
  if (claimed.missing) return claimed.missing;
  if (claimed.payloadHash !== e.payload_hash) return `finding ${claimed.id} no longer matches what was recorded (its content was changed)`;
  return null;
}

function checkpointProblem(e: EventRow, hashOf: (seq: number) => string | undefined): string | null {
  let cp: Checkpoint;
  try {
    cp = parseCanonical(e.payload ?? '') as Checkpoint;
  } catch {
    return `checkpoint event ${e.seq} has an unreadable payload`;
  }
  if (!verifyCheckpointSignature(cp)) return `the signature of checkpoint event ${e.seq} is not valid`;
  const at = hashOf(cp.seq);
  if (at !== cp.headHash) return `event ${cp.seq} no longer has the hash signed by checkpoint ${e.seq} (the chain was rewritten)`;
  return null;
}

/**
 * Recomputes every event hash and every payload hash, in one read snapshot (a writer in
 * another process cannot slip an event in between the reads), and names the first break.
 */
export function verifyChain(db: Database.Database, from: VerifiedPrefix | null = null): VerifyResult {
  // Workers cannot see what the caller's open transaction has not committed: one thread then.
  if (db.inTransaction) return verifySnapshot(db, from, false);
  // Memory-mapped reads for the one long pass: about a third less CPU than pread on large files.
  const mmapBefore = db.pragma('mmap_size', { simple: true }) as number;
  db.pragma(`mmap_size = ${2 ** 32}`);
  try {
    return db.transaction(() => verifySnapshot(db, from, true)).deferred();
  } finally {
    db.pragma(`mmap_size = ${mmapBefore}`);
  }
}

/** A prefix of the chain already verified on this connection: verification resumes after it. */
export interface VerifiedPrefix {
  seq: number;
  hash: string;
  checkpoints: number;
}

/**
 * Columns of the fast pass. SQLite writes the hashed headers itself (json_array): handing
 * every field to JavaScript costs more than hashing it. Where SQLite's JSON text differs from
 * canonicalFlat's for the same values (a REAL printed another way), the hash does not match and
 * the row is checked again the exact way; where the texts are equal, so are the values (both
 * are JSON encodings of them), so a matching hash means what the walk would find.
 */
const FAST_SQL = (codec: string) => `
  SELECT e.seq,
         json_array('candor-event/1', e.seq, e.time, e.actor, e.action, e.entity_type, e.entity_id, e.payload_hash, e.prev_hash),
         e.hash, e.payload_hash, e.prev_hash,
         CASE e.action WHEN '${FINDING_ACTION}' THEN 1 WHEN '${CHECKPOINT_ACTION}' THEN 2 ELSE 0 END,
         CASE WHEN e.action = '${FINDING_ACTION}'
              THEN e.payload IS NOT NULL OR f.id IS NULL OR f.id IS NOT e.entity_id OR x.explanation_id IS NULL OR s.sha256 IS NULL OR m.name IS NULL
              ELSE f.id IS NOT NULL END,
         CASE WHEN e.action = '${FINDING_ACTION}' THEN NULL ELSE coalesce(e.payload, '') END,
         CASE WHEN e.action = '${FINDING_ACTION}' AND f.id IS NOT NULL THEN
           CAST(rtrim(json_array('candor-finding/' || ${codec}, f.id, f.time, f.reviewer, f.decision, f.note, f.study_label, f.app_version,
                                 f.store_identifying, x.explanation_id, x.method), ']')
                || ',' || ${CANONICAL_NUMBER}(x.similarity) || ','
                || substr(json_array(x.provider, s.sha256, s.study_uid, s.series_uid, s.instance_uid, s.file_name, s.patient_name, s.patient_id,
                                     m.name, m.sha256, m.config, coalesce(octet_length(x.body), -1), coalesce(octet_length(x.map_values), -1)), 2)
                || coalesce(x.body, x'') || coalesce(x.map_values, x'') AS BLOB) END
  FROM audit_events e
  LEFT JOIN findings f ON f.seq = e.seq
  LEFT JOIN explanations x ON x.id = f.explanation_row
  LEFT JOIN scans s ON s.id = x.scan_id
  LEFT JOIN models m ON m.id = x.model_id
  WHERE e.seq > ? AND e.seq <= ?
  ORDER BY e.seq`;

/** The SQLite function through which the similarity is printed as canonicalFlat does (fast-scan.ts). */
export const CANONICAL_NUMBER = 'candor_canonical_number';
const withFunction = new WeakSet<Database.Database>();
function withCanonicalNumber(db: Database.Database): void {
  // Stryker disable next-line ConditionalExpression: registering the function again on the same connection changes nothing
  if (withFunction.has(db)) return;
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: 'deterministic' lets SQLite use the function in indexes; this query's results are the same without it
  db.function(CANONICAL_NUMBER, { deterministic: true }, canonicalNumberText);
  withFunction.add(db);
}

/** More rows than this whose SQLite-written header needs the exact check: the walk is as quick. */
export const MAX_RECHECKS = 1000;
export const PAGE_ROWS = 2000;

/** The fast pass's query for this file (its explanations may predate the codec column). */
export function fastSql(db: Database.Database): string {
  return FAST_SQL(codecColumn(db, 'x'));
}

const sha256 = (data: string | Uint8Array): string => oneShotHash('sha256', data, 'hex');

/**
 * The fast pass over (after, upto] in this thread (fast-scan.ts), its odd rows checked the exact
 * way. It only decides whether the range is intact; where it is not, the walk reads everything
 * again to name the first broken event and why. Each check is one the walk makes, so a range
 * it calls clean is one the walk finds no break in.
 */
export function scanRange(db: Database.Database, after: number, upto: number): RangeScan {
  withCanonicalNumber(db);
  return settleRechecks(db, scanPages(db, after, upto, fastSql(db), PAGE_ROWS, MAX_RECHECKS, sha256));
}

/** Checks the rows a scan (here or on a worker) left for the exact way; unclean if one fails. */
function settleRechecks(db: Database.Database, scan: RangeScan): RangeScan {
  if (!scan.clean) return scan;
  for (const seq of scan.recheck) {
    if (!exactlyIntact(db, seq)) return { ...scan, clean: false };
  }
  return { ...scan, recheck: [] };
}

/** The walk's own checks for one event whose SQLite-written headers did not hash to the stored values. */
function exactlyIntact(db: Database.Database, seq: number): boolean {
  const e = db.prepare('SELECT seq, time, actor, action, entity_type, entity_id, payload, payload_hash, prev_hash, hash FROM audit_events WHERE seq = ?').get(seq) as EventRow | undefined;
  if (!e || eventHash(e) !== e.hash) return false;
  if (e.action !== FINDING_ACTION) return true;
  const f = db
    .prepare(`SELECT ${findingColumnsSql(codecColumn(db, 'x'))} FROM findings f LEFT JOIN explanations x ON x.id = f.explanation_row LEFT JOIN scans s ON s.id = x.scan_id WHERE f.seq = ?`)
    .raw(true)
    .get(seq) as unknown[] | undefined;
  if (!f) return false;
  const d = digestOfRawFinding(f, 0, modelsById(db));
  return d.missing === null && d.id === e.entity_id && d.payloadHash === e.payload_hash;
}

/** A checkpoint found by the fast pass: signature valid, and the event it signed still has the signed hash. */
function checkpointHolds(db: Database.Database, payload: string | null): boolean {
  let cp: Checkpoint;
  try {
    cp = parseCanonical(payload ?? '') as Checkpoint;
  } catch {
    return false;
  }
  if (!cp || !Number.isInteger(cp.seq) || !verifyCheckpointSignature(cp)) return false;
  const at = db.prepare('SELECT hash FROM audit_events WHERE seq = ?').get(cp.seq) as { hash: string } | undefined;
  return at !== undefined && at.hash === cp.headHash;
}

/**
 * The whole fast pass for everything after `from`: counts first (a contiguous run of seqs up
 * to the head, no finding outside it), then the streamed range, then the checkpoints. Null
 * means "not clean": the walk must look. Exported for its tests: an intact chain must be settled
 * here, without the walk.
 */
export function fastVerify(db: Database.Database, from: VerifiedPrefix | null, missingProtections: string[], allowWorkers: boolean): VerifyResult | null {
  const after = from?.seq ?? 0;
  const queryAfter = from ? from.seq : Number.MIN_SAFE_INTEGER;
  const head = db.prepare('SELECT seq, hash FROM chain_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
  const span = db.prepare('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM audit_events WHERE seq > ?').get(queryAfter) as { n: number; lo: number | null; hi: number | null };
  const { n: findingsAfter } = db.prepare('SELECT count(*) AS n FROM findings WHERE seq > ?').get(queryAfter) as { n: number };
  if (!head || span.n === 0 || span.lo !== after + 1 || span.hi !== after + span.n || head.seq !== span.hi) return null;
  const here = (a: number, b: number) => scanRange(db, a, b);
  const spec = { sql: fastSql(db), pageRows: PAGE_ROWS, maxRechecks: MAX_RECHECKS, functionName: CANONICAL_NUMBER };
  const { ranges, scans } = allowWorkers && !db.memory ? scanChunks(db.name, after, span.hi, spec, here) : { ranges: [[after, span.hi]] as [number, number][], scans: [here(after, span.hi)] };
  let link = from?.hash ?? GENESIS_HASH;
  let events = 0;
  let findings = 0;
  const checkpoints: (string | null)[] = [];
  for (let i = 0; i < ranges.length; i++) {
    // A range whose worker failed is scanned here.
    const done = scans[i];
    const scan = done ? settleRechecks(db, done) : scanRange(db, ranges[i][0], ranges[i][1]);
    if (!scan.clean || scan.events !== ranges[i][1] - ranges[i][0] || scan.firstPrev !== link) return null;
    link = scan.lastHash!;
    events += scan.events;
    findings += scan.findings;
    checkpoints.push(...scan.checkpoints);
  }
  if (events !== span.n || findings !== findingsAfter || link !== head.hash) return null;
  for (const payload of checkpoints) if (!checkpointHolds(db, payload)) return null;
  return {
    ok: true,
    events: after + span.n,
    verifiedHead: { seq: span.hi, hash: head.hash },
    firstBroken: null,
    reason: null,
    missingProtections,
    checkpoints: (from?.checkpoints ?? 0) + checkpoints.length,
  };
}

function protectionsMissing(db: Database.Database): string[] {
  const triggers = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]).map((t) => t.name));
  return PROTECTIVE_TRIGGERS.filter((t) => !triggers.has(t));
}

function verifySnapshot(db: Database.Database, from: VerifiedPrefix | null, allowWorkers: boolean): VerifyResult {
  return fastVerify(db, from, protectionsMissing(db), allowWorkers) ?? walk(db, from);
}

/** The walk: every event in order, keeping what it needs to name the first break precisely. */
function walk(db: Database.Database, from: VerifiedPrefix | null): VerifyResult {
  const startAfter = from?.seq ?? 0;
  // A full pass reads everything, including rows with impossible sequence numbers (0, negative).
  const queryAfter = from ? from.seq : Number.MIN_SAFE_INTEGER;
  const rows = (
    db.prepare('SELECT seq, time, actor, action, entity_type, entity_id, payload, payload_hash, prev_hash, hash FROM audit_events WHERE seq > ? ORDER BY seq').raw(true).all(queryAfter) as unknown[][]
  ).map(
    (r): EventRow => ({
      seq: r[0] as number, time: r[1] as string, actor: r[2] as string, action: r[3] as string, entity_type: r[4] as string,
      entity_id: r[5] as string | null, payload: r[6] as string | null, payload_hash: r[7] as string, prev_hash: r[8] as string, hash: r[9] as string,
    }),
  );
  const head = db.prepare('SELECT seq, hash FROM chain_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
  const missingProtections = protectionsMissing(db);
  const hashAt = new Map<number, string>();
  for (const r of rows) hashAt.set(r.seq, r.hash);
  const maxSeq = rows.length ? rows[rows.length - 1].seq : startAfter;
  let checkpoints = from?.checkpoints ?? 0;
  // Checkpoints may name events before a resumed pass; fetch those now (no query can run while findings stream).
  const earlier = db.prepare('SELECT hash FROM audit_events WHERE seq = ?');
  for (const r of rows) {
    if (r.action !== CHECKPOINT_ACTION) continue;
    try {
      const cp = parseCanonical(r.payload ?? '') as Checkpoint;
      if (Number.isInteger(cp.seq) && !hashAt.has(cp.seq)) {
        const h = (earlier.get(cp.seq) as { hash: string } | undefined)?.hash;
        if (h) hashAt.set(cp.seq, h);
      }
    } catch {
      // an unreadable payload is reported in the walk
    }
  }
  const hashOf = (seq: number): string | undefined => hashAt.get(seq);
  // Findings stream in seq order beside the events (a merge): nothing per finding is kept.
  const digests = findingDigests(db, queryAfter);
  let nextDigest = digests.next();

  const found = ((): Break | null => {
    let expected = startAfter + 1;
    let prev = from?.hash ?? GENESIS_HASH;
    for (const r of rows) {
      if (r.seq < expected) {
        return { seq: r.seq, code: 'inserted', reason: `event ${r.seq} is out of the sequence (expected ${expected}); it was added outside the application` };
      }
      if (r.seq > expected) {
        const moved = rows.find((o) => o.seq !== expected && eventHash({ ...o, seq: expected }) === o.hash);
        if (moved) return { seq: expected, code: 'edited', reason: `event ${expected} had its sequence number changed to ${moved.seq}` };
        if (!head || expected <= head.seq) {
          const last = r.seq - 1;
          return { seq: expected, code: 'deleted', reason: last === expected ? `event ${expected} was deleted` : `events ${expected}..${last} were deleted` };
        }
      }
      if (head && r.seq > head.seq) {
        return { seq: r.seq, code: 'inserted', reason: `event ${r.seq} lies beyond the recorded chain head (${head.seq}); it was added outside the application` };
      }
      if (eventHash(r) !== r.hash) {
        const other = validSeqElsewhere(r, maxSeq);
        if (other !== null && hashAt.has(other)) {
          return { seq: r.seq, code: 'reordered', reason: `event ${r.seq} holds the event recorded as ${other} (events were swapped or reordered)` };
        }
        return { seq: r.seq, code: 'edited', reason: `event ${r.seq} was edited: its fields no longer match its hash` };
      }
      if (r.prev_hash !== prev) {
        // Both rows are self-consistent, so one of them was rewritten with a recomputed hash.
        const at = Math.max(1, r.seq - 1);
        return { seq: at, code: 'edited', reason: `event ${r.seq - 1} was rewritten: its hash is not the one event ${r.seq} links to` };
      }
      if (!nextDigest.done && nextDigest.value.seq < r.seq) {
        const f = nextDigest.value;
        return { seq: f.seq, code: 'inserted', reason: `finding ${f.id} refers to event ${f.seq}, which does not exist` };
      }
      let claimed: FindingDigest | undefined;
      if (!nextDigest.done && nextDigest.value.seq === r.seq) {
        claimed = nextDigest.value;
        nextDigest = digests.next();
      }
      if (r.action === FINDING_ACTION) {
        if (r.payload !== null) return { seq: r.seq, code: 'payload', reason: `event ${r.seq} was given a payload text it never had` };
        const problem = findingProblem(r, claimed);
        if (problem) return { seq: r.seq, code: 'payload', reason: problem };
      } else {
        if (claimed) return { seq: r.seq, code: 'inserted', reason: `finding ${claimed.id} claims event ${r.seq}, which records '${r.action}'; it was added outside the application` };
        if (sha256Hex(r.payload ?? '') !== r.payload_hash) return { seq: r.seq, code: 'payload', reason: `the payload of event ${r.seq} was changed` };
        if (r.action === CHECKPOINT_ACTION) {
          checkpoints++;
          const problem = checkpointProblem(r, hashOf);
          if (problem) return { seq: r.seq, code: 'edited', reason: problem };
        }
      }
      prev = r.hash;
      expected = r.seq + 1;
    }
    if (!head) {
      if (rows.length) return { seq: maxSeq, code: 'deleted', reason: 'the chain head record was deleted' };
      return null;
    }
    if (head.seq > maxSeq) {
      return { seq: maxSeq + 1, code: 'deleted', reason: head.seq === maxSeq + 1 ? `event ${head.seq} (the last) was deleted` : `events ${maxSeq + 1}..${head.seq} (the last) were deleted` };
    }
    if (head.hash !== prev) {
      return { seq: maxSeq, code: 'edited', reason: `event ${maxSeq} was rewritten: its hash is not the recorded chain head` };
    }
    if (!nextDigest.done) {
      const f = nextDigest.value;
      return { seq: f.seq, code: 'inserted', reason: `finding ${f.id} refers to event ${f.seq}, which does not exist` };
    }
    return null;
  })();

  digests.return(undefined); // ends the statement's iteration if the walk stopped early

  return {
    ok: found === null,
    events: startAfter + rows.length,
    verifiedHead: { seq: maxSeq, hash: rows.length ? rows[rows.length - 1].hash : (from?.hash ?? GENESIS_HASH) },
    firstBroken: found?.seq ?? null,
    reason: found?.reason ?? null,
    ...(found ? { reasonCode: found.code } : {}),
    missingProtections,
    checkpoints,
  };
}
