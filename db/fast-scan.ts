/**
 * The inner loop of verify's fast pass, kept free of imports and outer names: worker threads
 * run its source text as is (parallel-verify.ts), so they start in milliseconds with nothing
 * to compile and no worker file to ship beside a bundle. Do not reference anything from outside
 * these functions (no imports, no module constants, no helpers): everything comes in as arguments.
 */
import type Database from 'better-sqlite3';

/** What the fast pass learned about the events in (after, upto]. */
export interface RangeScan {
  /** Every event and finding in the range passed every check the walk makes (checkpoints and `recheck` aside). */
  clean: boolean;
  /** prev_hash of the first event (the link to the range before), hash of the last. */
  firstPrev: string | null;
  lastHash: string | null;
  events: number;
  /** Finding rows joined to finding events. */
  findings: number;
  /** Payload texts of checkpoint events, checked once the range is read. */
  checkpoints: (string | null)[];
  /** Events whose SQLite-written header did not hash to the stored value: to be checked the exact way. */
  recheck: number[];
  /** How many events were (or are to be) checked the exact way. */
  rechecks: number;
}

/**
 * Reads (after, upto] in key-range pages of `sql` (columns: seq, event header JSON, hash,
 * payload_hash, prev_hash, kind 0/1 finding/2 checkpoint, odd 0/1, system payload, finding
 * payload blob) and checks every row. `sha256Hex` hashes a string or bytes.
 */
export function scanPages(
  db: Database.Database,
  after: number,
  upto: number,
  sql: string,
  pageRows: number,
  maxRechecks: number,
  sha256Hex: (data: string | Uint8Array) => string,
): RangeScan {
  const out: RangeScan = { clean: false, firstPrev: null, lastHash: null, events: 0, findings: 0, checkpoints: [], recheck: [], rechecks: 0 };
  let expected = after + 1;
  let prev: string | null = null;
  try {
    const page = db.prepare(sql).raw(true);
    // Key-range pages of plain arrays: a sixth less CPU than iterate() row by row, and short-lived.
    for (let from = after; from < upto; from += pageRows) {
      const rows = page.all(from, Math.min(upto, from + pageRows)) as unknown[][];
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        const seq = r[0] as number;
        const hash = r[2] as string;
        const payloadHash = r[3] as string;
        const prevHash = r[4] as string;
        const kind = r[5] as number;
        if (seq !== expected || r[6] !== 0) return out;
        if (prev === null) out.firstPrev = prevHash;
        else if (prevHash !== prev) return out;
        let exact = sha256Hex(r[1] as string) === hash;
        if (kind === 1) {
          exact = exact && sha256Hex(r[8] as Uint8Array) === payloadHash;
          out.findings++;
        } else {
          if (sha256Hex(r[7] as string) !== payloadHash) return out;
          if (kind === 2) out.checkpoints.push(r[7] as string);
        }
        if (!exact) {
          if (out.recheck.length >= maxRechecks) return out;
          out.recheck.push(seq);
        }
        prev = hash;
        expected = seq + 1;
        out.events++;
      }
    }
  } catch {
    // a value of a type no intact row has (a blob time, a text similarity): the walk says what
    return out;
  }
  out.rechecks = out.recheck.length;
  out.lastHash = prev;
  out.clean = true;
  return out;
}

/**
 * canonicalFlat's text for one value (canonical.ts), for the SQLite function that prints the
 * similarity into a finding's header: SQLite prints some REALs with other digits than
 * JavaScript (0.66666666666666663 for 2/3). Anything a header never holds (a blob) yields
 * text that will not hash right, so that row is checked the exact way.
 */
export function canonicalNumberText(v: unknown): string {
  if (typeof v !== 'number') return JSON.stringify(v) ?? 'null';
  if (v !== v) return '{"$f64":"NaN"}';
  if (v === Infinity) return '{"$f64":"Infinity"}';
  if (v === -Infinity) return '{"$f64":"-Infinity"}';
  if (v === 0 && 1 / v < 0) return '{"$f64":"-0"}';
  return String(v);
}
