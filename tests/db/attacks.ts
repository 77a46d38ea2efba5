/**
 * What an insider with write access to the database file can do, done as they would do it: raw
 * SQL through their own SQLite connection, triggers dropped and put back afterwards, every hash
 * the algorithm (which is public) asks for recomputed, signatures made with a key of their choice.
 */
import Database from 'better-sqlite3';
import type { KeyObject } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../../db/canonical';
import { CHECKPOINT_ACTION, eventHash, type EventRow } from '../../db/chain';
import { payloadHashOf, STORED_FINDING_SQL, type StoredFinding } from '../../db/finding-codec';
import { signHead, type Checkpoint } from '../../db/signing';

/** Drops every trigger, runs `edit`, then creates the triggers again exactly as they were. */
export function withoutTriggers(file: string, edit: (db: Database.Database) => void): void {
  const db = new Database(file);
  try {
    const triggers = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all() as { name: string; sql: string }[];
    db.pragma('foreign_keys = OFF');
    for (const t of triggers) db.exec(`DROP TRIGGER ${t.name}`);
    edit(db);
    for (const t of triggers) db.exec(t.sql);
  } finally {
    db.close();
  }
}

/**
 * A full rewrite: a finding's decision changed, its payload hash and every later event hash
 * recomputed, every checkpoint event and every head signature re-signed with `signWith` (null:
 * the signatures are deleted), the chain head moved to the new hash, triggers restored.
 */
export function rewriteDecision(file: string, findingSeq: number, decision: string, signWith: KeyObject | null): void {
  withoutTriggers(file, (db) => {
    db.prepare('UPDATE findings SET decision = ? WHERE seq = ?').run(decision, findingSeq);
    const stored = db.prepare(`${STORED_FINDING_SQL} WHERE f.seq = ?`).get(findingSeq) as StoredFinding;
    db.prepare('UPDATE audit_events SET payload_hash = ? WHERE seq = ?').run(payloadHashOf(stored), findingSeq);
    const hashAt = (seq: number) => (db.prepare('SELECT hash FROM audit_events WHERE seq = ?').pluck().get(seq) as string | undefined) ?? '';
    let prev = hashAt(findingSeq - 1) || '0'.repeat(64);
    for (const e of db.prepare('SELECT * FROM audit_events WHERE seq >= ? ORDER BY seq').all(findingSeq) as EventRow[]) {
      let { payload, payload_hash } = e;
      if (e.action === CHECKPOINT_ACTION && signWith) {
        const old = JSON.parse(e.payload!) as Checkpoint;
        payload = canonicalJson(signHead(signWith, old.seq, hashAt(old.seq)));
        payload_hash = sha256Hex(payload);
      }
      const hash = eventHash({ ...e, payload_hash, prev_hash: prev });
      db.prepare('UPDATE audit_events SET payload = ?, payload_hash = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(payload, payload_hash, prev, hash, e.seq);
      prev = hash;
    }
    const last = db.prepare('SELECT max(seq) FROM audit_events').pluck().get() as number;
    db.prepare('UPDATE chain_head SET seq = ?, hash = ?').run(last, prev);
    const signed = db.prepare('SELECT DISTINCT seq FROM head_signatures ORDER BY seq').pluck().all() as number[];
    db.exec('DELETE FROM head_signatures');
    if (signWith) {
      for (const seq of signed) {
        const cp = signHead(signWith, seq, hashAt(seq));
        db.prepare('INSERT INTO head_signatures (seq, head_hash, public_key, signature, time) VALUES (?, ?, ?, ?, ?)').run(cp.seq, cp.headHash, cp.publicKey, cp.signature, new Date().toISOString());
      }
    }
  });
}

/** Truncation: the newest findings, their events and signatures deleted, the head moved back to `keep`. */
export function truncateTo(file: string, keep: number): void {
  withoutTriggers(file, (db) => {
    db.prepare('DELETE FROM findings WHERE seq > ?').run(keep);
    db.prepare('DELETE FROM audit_events WHERE seq > ?').run(keep);
    db.prepare('DELETE FROM head_signatures WHERE seq > ?').run(keep);
    const hash = db.prepare('SELECT hash FROM audit_events WHERE seq = ?').pluck().get(keep) as string;
    db.prepare('UPDATE chain_head SET seq = ?, hash = ?').run(keep, hash);
  });
}
