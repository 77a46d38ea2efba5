/**
 * Beyond the chain: who vouches for it, and whether it still matches what was kept outside.
 *
 * The hash chain proves the file is consistent with itself, which anyone who can write the file
 * can arrange. Evidence comes from outside it:
 * - signatures (head_signatures rows, checkpoint events) by a pinned key: each covers every
 *   event up to the one it signed, the chain being linked; a signature by any other key is a
 *   break, since anyone can make a key;
 * - anchors (checkpoint files, PDF reports): each names events and hashes; a file that no
 *   longer has them was rewritten, one that ends before them was truncated.
 * An event is covered when a trusted signature or a matching anchor reaches it; verify is
 * satisfied only when every event is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { createPublicKey } from 'node:crypto';
import type { AnchorCheck, Coverage, EvidenceBreak, SignerSummary, Verdict, VerifyReport } from './types';
import type { AnchorClaim } from './anchors';
import { CHECKPOINT_ACTION, type VerifyResult } from './chain';
import { parseCanonical } from './canonical';
import { keyFingerprint, LEGACY_KEY_FILE_NAME, shortFingerprint, verifyCheckpointSignature, type Checkpoint } from './signing';
import type { TrustStore } from './trust';

/** The chain's verdict as AuditStore.verify returns it. */
export type ChainVerdict = Omit<VerifyResult, 'verifiedHead'> & { integrity?: string[] };

export interface EvidenceContext {
  db: Database.Database;
  /** The database file (for the anchors that name it, and the old key beside it). */
  path: string;
  trust: TrustStore;
  /** Anchors the caller gave (an auditor's files), and those found in the anchors folder. */
  given: AnchorClaim[];
  local: AnchorClaim[];
  unreadableAnchors: string[];
  readOnlyCopy: boolean;
}

/** A trusted key's signatures are verified newest first until one holds; this many invalid ones are reported at most. */
const MAX_BAD_SIGNATURES = 20;

interface Signed {
  seq: number;
  headHash: string;
  publicKey: string;
  signature: string;
  /** 'head signature' or 'checkpoint event N'. */
  what: string;
}

function oldKeyBeside(path: string): string | null {
  const file = join(dirname(path), LEGACY_KEY_FILE_NAME);
  if (!existsSync(file)) return null;
  try {
    return createPublicKey(readFileSync(file)).export({ format: 'der', type: 'spki' }).toString('base64');
  } catch {
    return null;
  }
}

function untrustedReason(s: Signed, count: number, trust: TrustStore, oldKey: string | null, path: string): string {
  const fp = shortFingerprint(keyFingerprint(s.publicKey));
  const base = `${s.what} over event ${s.seq}${count > 1 ? ` (and ${count - 1} more)` : ''} is signed by key ${fp}, which is not pinned (trusted keys: ${trust.source})`;
  if (oldKey === s.publicKey) {
    return `${base}; it is the key kept beside the database by releases before schema 6 (${join(dirname(path), LEGACY_KEY_FILE_NAME)}): if you trust it, pin it with candor audit key --trust that file`;
  }
  return base;
}

/** Every signature the file holds, grouped by key: head signatures (one query) and checkpoint events (few). */
function signaturesByKey(db: Database.Database): Map<string, { count: number; newest: Signed; rows: () => Iterable<Signed> }> {
  const out = new Map<string, { count: number; newest: Signed; rows: () => Iterable<Signed> }>();
  const keyed = db.prepare('SELECT public_key AS publicKey, count(*) AS n, max(seq) AS top FROM head_signatures GROUP BY public_key').all() as { publicKey: string; n: number; top: number }[];
  const newestOf = db.prepare('SELECT seq, head_hash AS headHash, public_key AS publicKey, signature FROM head_signatures WHERE public_key = ? ORDER BY seq DESC');
  for (const k of keyed) {
    const rows = function* (): Iterable<Signed> {
      for (const r of newestOf.iterate(k.publicKey) as Iterable<Omit<Signed, 'what'>>) yield { ...r, what: 'the head signature' };
    };
    const newest = { ...(newestOf.get(k.publicKey) as Omit<Signed, 'what'>), what: 'the head signature' };
    out.set(k.publicKey, { count: k.n, newest, rows });
  }
  const events = db.prepare('SELECT seq, payload FROM audit_events WHERE action = ? ORDER BY seq DESC').all(CHECKPOINT_ACTION) as { seq: number; payload: string | null }[];
  for (const e of events) {
    let cp: Checkpoint;
    try {
      cp = parseCanonical(e.payload ?? '') as Checkpoint;
    } catch {
      continue; // the chain check names an unreadable checkpoint
    }
    if (!cp || typeof cp.publicKey !== 'string') continue;
    const s: Signed = { seq: cp.seq, headHash: cp.headHash, publicKey: cp.publicKey, signature: cp.signature, what: `checkpoint event ${e.seq}` };
    const known = out.get(cp.publicKey);
    if (!known) out.set(cp.publicKey, { count: 1, newest: s, rows: () => [s] });
    else {
      const before = known.rows;
      const newest = s.seq > known.newest.seq ? s : known.newest;
      out.set(cp.publicKey, { count: known.count + 1, newest, rows: () => [...before(), s].sort((a, b) => b.seq - a.seq) });
    }
  }
  return out;
}

/** The first head signature whose event is gone or no longer has the signed hash (one pass, by primary key). */
function firstStaleSignature(db: Database.Database): { seq: number; publicKey: string; time: string; hash: string | null } | null {
  return (
    (db
      .prepare(
        `SELECT s.seq, s.public_key AS publicKey, s.time, e.hash FROM head_signatures s LEFT JOIN audit_events e ON e.seq = s.seq
         WHERE e.hash IS NOT s.head_hash ORDER BY s.seq LIMIT 1`,
      )
      .get() as { seq: number; publicKey: string; time: string; hash: string | null } | undefined) ?? null
  );
}

function hashAt(db: Database.Database, seq: number): string | null {
  return (db.prepare('SELECT hash FROM audit_events WHERE seq = ?').pluck().get(seq) as string | undefined) ?? null;
}

function range(from: number, to: number): string {
  return from === to ? `event ${from}` : `events ${from}..${to}`;
}

/** One anchor against the file: the log it names, its signature, every event and hash it remembers. */
function checkAnchor(db: Database.Database, a: AnchorClaim, head: number, firstHash: string | null, trust: TrustStore, local: boolean, path: string): AnchorCheck {
  const signedBy = a.signature ? { fingerprint: keyFingerprint(a.signature.publicKey), trusted: trust.lookup(a.signature.publicKey) !== null } : null;
  const result = (problem: EvidenceBreak | null): AnchorCheck => ({ source: a.source, kind: a.kind, seq: a.seq, entries: a.entries.map((e) => e.seq), signedBy, local, ok: problem === null, problem });
  const name = `the anchor ${a.source}`;
  if (a.signature && !verifyCheckpointSignature({ seq: a.seq, headHash: a.headHash, ...a.signature })) {
    return result({ code: 'bad-signature', seq: a.seq, missing: null, reason: `${name}: its signature is not valid (the file was altered or forged)` });
  }
  // The anchors folder is only as good as the key that signed its files.
  if (local && (!signedBy || !signedBy.trusted)) {
    return result({ code: 'untrusted-key', seq: a.seq, missing: null, reason: `${name} is signed by ${signedBy ? `key ${shortFingerprint(signedBy.fingerprint)}, which is not pinned` : 'no key'}` });
  }
  if (a.firstHash !== null && firstHash !== null && a.firstHash !== firstHash) {
    const why = a.path === path ? `it was written for this file (${path}), but event 1 differs: the log at this path was rewritten from its start or replaced` : 'event 1 differs: it was taken from another log, or this log was rewritten from its start';
    return result({ code: 'other-log', seq: 1, missing: null, reason: `${name}: ${why}` });
  }
  const named = [...a.entries, { seq: a.seq, hash: a.headHash }].sort((x, y) => x.seq - y.seq);
  const last = named[named.length - 1]!.seq;
  if (last > head) {
    const missing = { from: head + 1, to: last };
    return result({ code: 'truncated', seq: head + 1, missing, reason: `${range(missing.from, missing.to)} ${missing.from === missing.to ? 'is' : 'are'} missing: ${name} records event ${last}, the log ends at ${head} (it was truncated)` });
  }
  for (const e of named) {
    const h = hashAt(db, e.seq);
    if (h !== e.hash) {
      const which = e.seq === a.seq && !a.entries.some((x) => x.seq === e.seq) ? `event ${e.seq} (the chain head it remembers)` : `event ${e.seq} (a finding it shows)`;
      return result({ code: 'rewritten', seq: e.seq, missing: null, reason: `${name}: ${which} no longer has the hash it recorded; the log was rewritten at or before event ${e.seq}` });
    }
  }
  return result(null);
}

function summaryLine(v: Omit<VerifyReport, 'summary'>): string {
  const c = v.coverage;
  if (v.verdict === 'broken') {
    const more = v.breaks.length > 1 ? ` (${v.breaks.length} problems in all)` : '';
    return `BROKEN${v.firstBroken !== null ? ` at event ${v.firstBroken}` : ''} (${v.reasonCode}): ${v.reason}${more}`;
  }
  const covered = c.covered ? `events 1..${c.covered.to} of ${c.events} are covered by a trusted signature or an anchor` : `none of the ${c.events} events is covered by a trusted signature or an anchor`;
  if (v.verdict === 'uncovered') {
    const u = c.uncovered!;
    return `NOT COVERED: the chain is intact, but ${u.to - u.from + 1} of ${c.events} events (${range(u.from, u.to)}) have no trusted signature or anchor; ${covered}`;
  }
  if (v.verdict === 'unprotected') return `VERIFIED, but the file's append-only protections were removed (${v.missingProtections.join(', ')}); ${covered}`;
  return c.events === 0 ? 'VERIFIED: the log is empty' : `VERIFIED: the chain is intact and all ${c.events} events are covered by a trusted signature or an anchor`;
}

/** The chain's verdict completed with signatures, anchors and coverage. */
export function assessEvidence(chain: ChainVerdict, ctx: EvidenceContext): VerifyReport {
  const { db, trust } = ctx;
  const breaks: EvidenceBreak[] = [];
  if (!chain.ok) breaks.push({ code: chain.reasonCode ?? 'edited', seq: chain.firstBroken, missing: null, reason: chain.reason ?? 'the chain does not verify' });
  const head = (db.prepare('SELECT seq FROM chain_head WHERE id = 1').pluck().get() as number | undefined) ?? chain.events;
  const firstHash = hashAt(db, 1);

  const stale = firstStaleSignature(db);
  if (stale) {
    const by = `key ${shortFingerprint(keyFingerprint(stale.publicKey))} at ${stale.time}`;
    breaks.push(
      stale.hash === null
        ? stale.seq > head
          ? { code: 'truncated', seq: head + 1, missing: { from: head + 1, to: stale.seq }, reason: `${range(head + 1, stale.seq)} ${stale.seq === head + 1 ? 'is' : 'are'} missing: a head signature (${by}) names event ${stale.seq}, the log ends at ${head} (it was truncated)` }
          : { code: 'deleted', seq: stale.seq, missing: null, reason: `event ${stale.seq}, signed by ${by}, is missing` }
        : { code: 'rewritten', seq: stale.seq, missing: null, reason: `event ${stale.seq} no longer has the hash signed by ${by}; the chain was rewritten at or before event ${stale.seq}` },
    );
  }

  const oldKey = oldKeyBeside(ctx.path);
  const signers: SignerSummary[] = [];
  let bySignature = 0;
  for (const [publicKey, group] of signaturesByKey(db)) {
    const pinned = trust.lookup(publicKey);
    const fingerprint = keyFingerprint(publicKey);
    let coversTo = 0;
    if (!pinned) breaks.push({ code: 'untrusted-key', seq: group.newest.seq, missing: null, reason: untrustedReason(group.newest, group.count, trust, oldKey, ctx.path) });
    else {
      let bad = 0;
      for (const s of group.rows()) {
        if (s.seq > head || hashAt(db, s.seq) !== s.headHash) continue; // named above (stale) or by the chain check
        if (verifyCheckpointSignature(s)) {
          coversTo = s.seq;
          break;
        }
        breaks.push({ code: 'bad-signature', seq: s.seq, missing: null, reason: `${s.what} over event ${s.seq} names pinned key ${shortFingerprint(fingerprint)} but its signature is not valid (forged or altered)` });
        if (++bad >= MAX_BAD_SIGNATURES) break;
      }
    }
    bySignature = Math.max(bySignature, coversTo);
    signers.push({ fingerprint, label: pinned?.label ?? null, trusted: pinned !== null, signatures: group.count, latestSeq: group.newest.seq, coversTo });
  }

  const anchors = [...ctx.given.map((a) => checkAnchor(db, a, head, firstHash, trust, false, ctx.path)), ...ctx.local.map((a) => checkAnchor(db, a, head, firstHash, trust, true, ctx.path))];
  for (const a of anchors) if (a.problem) breaks.push(a.problem);
  const byAnchor = Math.max(0, ...anchors.filter((a) => a.ok).map((a) => a.seq));

  // Coverage is of the events the chain check read (a writer may have added some since, in another snapshot).
  const events = chain.events;
  const reach = chain.ok ? Math.min(events, Math.max(bySignature, byAnchor)) : 0;
  const coverage: Coverage = {
    events,
    covered: reach >= 1 ? { from: 1, to: reach } : null,
    uncovered: reach < events ? { from: reach + 1, to: events } : null,
    bySignature,
    byAnchor,
  };
  const first = breaks[0] ?? null;
  const verdict: Verdict = breaks.length ? 'broken' : coverage.uncovered ? 'uncovered' : chain.missingProtections.length ? 'unprotected' : 'verified';
  const report: Omit<VerifyReport, 'summary'> = {
    ok: breaks.length === 0,
    events: chain.events,
    firstBroken: first?.seq ?? null,
    reason: first?.reason ?? null,
    reasonCode: first?.code ?? null,
    verdict,
    breaks,
    missingProtections: chain.missingProtections,
    checkpoints: chain.checkpoints,
    signers,
    anchors,
    coverage,
    trustSource: trust.source,
    unreadableAnchors: ctx.unreadableAnchors,
    readOnlyCopy: ctx.readOnlyCopy,
    ...(chain.integrity ? { integrity: chain.integrity } : {}),
  };
  return { ...report, summary: summaryLine(report) };
}
