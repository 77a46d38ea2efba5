/**
 * Anchors: what someone outside the database file remembers about the chain. A checkpoint file
 * (signed head, written into the anchors folder every N findings and at the app's exit, or by
 * `candor audit checkpoint --out`) and every Candor PDF report (the events it shows and the
 * chain head when it was printed, in its metadata) are anchors. Given back to verify, an
 * anchor that names an event the file no longer has is a truncation; one whose hash differs
 * is a rewrite. A chain can be rewritten and re-signed by whoever holds the key, but not so
 * that it still matches a copy kept elsewhere.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserInputError } from '../native-models/errors';
import { ownerOnlyDir } from './installation';
import type { Checkpoint } from './signing';

export const ANCHOR_FORMAT = 'candor-anchor/1';
const HEX64 = /^[0-9a-f]{64}$/;

export interface AnchorEntry {
  seq: number;
  hash: string;
}

/** One anchor as read from a file, whatever its form. */
export interface AnchorClaim {
  /** The file (or the name the caller gave the bytes). */
  source: string;
  kind: 'checkpoint' | 'pdf';
  /** Hash of the log's event 1, naming the log (absent in checkpoint files from before schema 6). */
  firstHash: string | null;
  /** The database file the anchor was written for (checkpoint files only; informative). */
  path: string | null;
  /** The chain head the anchor remembers. */
  seq: number;
  headHash: string;
  /** Events a PDF report shows, each with the hash it had. */
  entries: AnchorEntry[];
  signature: { publicKey: string; signature: string } | null;
  time: string | null;
}

/** What a PDF report carries: the log, the head when printed, the findings' own events. */
export interface PdfAnchor {
  firstHash: string;
  seq: number;
  headHash: string;
  entries: AnchorEntry[];
}

/** An anchor file or bytes that cannot be read as one. */
export class AnchorError extends UserInputError {}

/** The text stored in a PDF's metadata (key CandorAnchor): fixed key order, ASCII only, no parentheses. */
export function pdfAnchorText(a: PdfAnchor): string {
  return JSON.stringify({ format: ANCHOR_FORMAT, kind: 'pdf', log: { firstHash: a.firstHash }, seq: a.seq, headHash: a.headHash, entries: a.entries.map((e) => ({ seq: e.seq, hash: e.hash })) });
}

/** A signed checkpoint file for the anchors folder (or `candor audit checkpoint --out`). */
export function checkpointAnchorText(cp: Checkpoint, log: { firstHash: string; path: string }, time: string): string {
  return `${JSON.stringify({ format: ANCHOR_FORMAT, kind: 'checkpoint', log, seq: cp.seq, headHash: cp.headHash, time, signature: cp.signature, publicKey: cp.publicKey }, null, 1)}\n`;
}

function isSeq(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

function claimFrom(raw: Record<string, unknown>, source: string, kind: 'checkpoint' | 'pdf'): AnchorClaim {
  const log = (raw.log && typeof raw.log === 'object' ? raw.log : {}) as Record<string, unknown>;
  const firstHash = typeof log.firstHash === 'string' ? log.firstHash : null;
  if (!isSeq(raw.seq) || typeof raw.headHash !== 'string' || !HEX64.test(raw.headHash)) throw new AnchorError(`${source}: the anchor names no valid event (seq and headHash)`);
  if (firstHash !== null && !HEX64.test(firstHash)) throw new AnchorError(`${source}: the anchor's log hash is not 64 hex digits`);
  const entries = Array.isArray(raw.entries) ? raw.entries : [];
  for (const e of entries as Record<string, unknown>[]) {
    if (!e || !isSeq(e.seq) || typeof e.hash !== 'string' || !HEX64.test(e.hash)) throw new AnchorError(`${source}: an entry of the anchor is not a valid event (seq and hash)`);
  }
  const signed = typeof raw.signature === 'string' && typeof raw.publicKey === 'string';
  return {
    source,
    kind,
    firstHash,
    path: typeof log.path === 'string' ? log.path : null,
    seq: raw.seq,
    headHash: raw.headHash,
    entries: (entries as AnchorEntry[]).map((e) => ({ seq: e.seq, hash: e.hash })),
    signature: signed ? { publicKey: raw.publicKey as string, signature: raw.signature as string } : null,
    time: typeof raw.time === 'string' ? raw.time : null,
  };
}

/** Reads a PDF literal string starting at its '(' (escapes and balanced parentheses as the PDF spec has them). */
function pdfLiteral(text: string, open: number): string | null {
  let depth = 0;
  let out = '';
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      const n = text[++i];
      const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '(': '(', ')': ')', '\\': '\\' };
      if (n in simple) out += simple[n];
      else if (/[0-7]/.test(n)) {
        const oct = /^[0-7]{1,3}/.exec(text.slice(i, i + 3))![0];
        out += String.fromCharCode(parseInt(oct, 8));
        i += oct.length - 1;
      } else if (n === '\r' || n === '\n') {
        if (n === '\r' && text[i + 1] === '\n') i++;
      } else out += n;
      continue;
    }
    if (c === '(') {
      if (depth++ > 0) out += c;
      continue;
    }
    if (c === ')') {
      if (--depth === 0) return out;
      out += c;
      continue;
    }
    out += c;
  }
  return null;
}

/** Every Candor anchor in a PDF's metadata (a merged PDF can hold several). */
function pdfClaims(bytes: Buffer, source: string): AnchorClaim[] {
  const text = bytes.toString('latin1');
  const marker = `{"format":"${ANCHOR_FORMAT}"`;
  const out: AnchorClaim[] = [];
  for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + marker.length)) {
    const open = text.lastIndexOf('(', at);
    if (open < 0 || open < at - 2) continue;
    const literal = pdfLiteral(text, open);
    if (literal === null) continue;
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(literal) as Record<string, unknown>;
    } catch {
      continue;
    }
    out.push(claimFrom(raw, source, 'pdf'));
  }
  if (out.length === 0) {
    throw new AnchorError(`${source}: this PDF carries no Candor anchor (a report from before anchors were added, or its metadata was removed or compressed by another program)`);
  }
  return out;
}

/** An anchor file's bytes: a Candor PDF report, a checkpoint file, or a checkpoint exported before schema 6. */
export function parseAnchor(bytes: Buffer, source: string): AnchorClaim[] {
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return pdfClaims(bytes, source);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new AnchorError(`${source}: not a Candor anchor (neither a PDF report nor a checkpoint JSON file): ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object') throw new AnchorError(`${source}: not a Candor anchor`);
  if (raw.format !== undefined && raw.format !== ANCHOR_FORMAT) throw new AnchorError(`${source}: anchor format '${String(raw.format)}' is not one this version reads (${ANCHOR_FORMAT})`);
  return [claimFrom(raw, source, raw.kind === 'pdf' ? 'pdf' : 'checkpoint')];
}

export function readAnchorFile(file: string): AnchorClaim[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new AnchorError(`the anchor ${file} cannot be read: ${(err as Error).message}`);
  }
  return parseAnchor(bytes, file);
}

const ANCHOR_FILE = /^candor-anchor-([0-9a-f]{16})-(\d{10})\.json$/;

export function anchorFileName(firstHash: string, seq: number): string {
  return `candor-anchor-${firstHash.slice(0, 16)}-${String(seq).padStart(10, '0')}.json`;
}

/** Writes a checkpoint file into the anchors folder; one that exists for the same head is kept. */
export function writeAnchorFile(dir: string, cp: Checkpoint, log: { firstHash: string; path: string }): string {
  ownerOnlyDir(dir);
  const file = join(dir, anchorFileName(log.firstHash, cp.seq));
  try {
    writeFileSync(file, checkpointAnchorText(cp, log, new Date().toISOString()), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return file;
}

/**
 * The anchors folder's newest checkpoint for each log it holds (the newest one checks everything
 * before it, the chain being linked). Returns claims for logs whose event 1 hash begins as this
 * log's, or that were written for this file path (a log replaced at the same path).
 */
export function localAnchors(dir: string, log: { firstHash: string | null; path: string }): { claims: AnchorClaim[]; unreadable: string[] } {
  if (!existsSync(dir)) return { claims: [], unreadable: [] };
  const newest = new Map<string, { seq: number; name: string }>();
  for (const name of readdirSync(dir)) {
    const m = ANCHOR_FILE.exec(name);
    if (!m) continue;
    const seq = Number(m[2]);
    const best = newest.get(m[1]);
    if (!best || seq > best.seq) newest.set(m[1], { seq, name });
  }
  const claims: AnchorClaim[] = [];
  const unreadable: string[] = [];
  for (const [prefix, { name }] of newest) {
    const file = join(dir, name);
    let claim: AnchorClaim;
    try {
      [claim] = readAnchorFile(file);
    } catch (err) {
      if (log.firstHash?.startsWith(prefix)) unreadable.push(`${basename(file)}: ${(err as Error).message}`);
      continue;
    }
    if ((log.firstHash !== null && claim.firstHash === log.firstHash) || claim.path === log.path) claims.push(claim);
  }
  return { claims, unreadable };
}
