/**
 * What the audit room refuses to touch. Two guards:
 * - before a database is opened: a non-empty file must be a Candor log (its application id, or
 *   for logs older than schema 6 its tables); another application's SQLite file, or anything
 *   else, is refused before SQLite opens it, so it stays byte-identical and gains no -wal;
 * - before any output is written (PDF, JSON, CSV, an exported key or checkpoint): the path may
 *   not be a database or its -wal/-shm/-journal, a signing key, the trust store or an anchor,
 *   symlinks resolved. Every writer (services and CLI) calls checkOutputPath first.
 */
import Database from 'better-sqlite3';
import { accessSync, closeSync, constants, copyFileSync, existsSync, mkdtempSync, openSync, readSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { UserInputError } from '../native-models/errors';
import { APPLICATION_ID } from './schema';
import type { InstallationPaths } from './installation';

const SQLITE_MAGIC = 'SQLite format 3\0';
/** Tables every Candor log has had since schema 1. */
const CANDOR_TABLES = ['audit_events', 'explanations', 'findings', 'models', 'scans'];

/** An output path that would overwrite evidence, or cannot be written. */
export class OutputPathError extends UserInputError {}

function head(file: string, bytes: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export type FileKind =
  | { kind: 'new' }
  | { kind: 'candor'; applicationId: boolean }
  | { kind: 'not-sqlite' }
  | { kind: 'foreign'; why: string };

/**
 * Copies a database (and its -wal, whose committed pages may not be in the main file yet) into a
 * private temporary folder and opens it read-only there; the original and its folder stay untouched.
 */
export function openPrivateCopy(file: string): { db: Database.Database; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'candor-ro-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const copy = join(dir, basename(file));
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    const db = new Database(copy, { readonly: true, fileMustExist: true });
    return { db, dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}

/**
 * What a file is, decided without SQLite writing anything: the header's application id, and
 * for an id of 0 (Candor logs before schema 6, or a file of an application that sets none) the
 * tables, read from a private copy.
 */
export function classifyDatabaseFile(file: string): FileKind {
  if (!existsSync(file) || statSync(file).size === 0) return { kind: 'new' };
  const header = head(file, 100);
  if (header.length < 100 || header.subarray(0, 16).toString('latin1') !== SQLITE_MAGIC) return { kind: 'not-sqlite' };
  const applicationId = header.readUInt32BE(68);
  if (applicationId === APPLICATION_ID) return { kind: 'candor', applicationId: true };
  if (applicationId !== 0) return { kind: 'foreign', why: `its application id is 0x${applicationId.toString(16).padStart(8, '0')}, not Candor's 0x${APPLICATION_ID.toString(16)}` };
  let copy: ReturnType<typeof openPrivateCopy> | null = null;
  try {
    copy = openPrivateCopy(file);
    // The -wal may already hold the id (set by the schema-6 upgrade, not yet checkpointed).
    if ((copy.db.pragma('application_id', { simple: true }) as number) === APPLICATION_ID) return { kind: 'candor', applicationId: true };
    const tables = copy.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    if (tables.length === 0) return { kind: 'new' };
    if (CANDOR_TABLES.every((t) => tables.includes(t))) return { kind: 'candor', applicationId: false };
    return { kind: 'foreign', why: `it holds the tables ${tables.slice(0, 6).join(', ')}${tables.length > 6 ? ', …' : ''}, not a Candor audit log's` };
  } catch (err) {
    return { kind: 'foreign', why: `its tables cannot be read (${(err as Error).message})` };
  } finally {
    copy?.db.close();
    copy?.dispose();
  }
}

/** Real paths an output may never be written to (a file) or into (a folder). */
export interface ProtectedPaths {
  files: string[];
  dirs: string[];
}

function real(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    try {
      return join(realpathSync(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}

/** The databases (with their -wal, -shm and -journal), and the installation's keys, trust store and anchors. */
export function protectedPaths(opts: { databases?: readonly string[]; installation?: InstallationPaths | null }): ProtectedPaths {
  const files: string[] = [];
  for (const db of opts.databases ?? []) {
    const r = real(db);
    files.push(r, `${r}-wal`, `${r}-shm`, `${r}-journal`);
  }
  const dirs: string[] = [];
  if (opts.installation) {
    dirs.push(real(opts.installation.keysDir), real(opts.installation.anchorsDir));
    files.push(real(opts.installation.trustFile));
  }
  return { files, dirs };
}

/** Why an existing file must not be overwritten, judged by what it holds; null when it may be. */
function evidenceIn(file: string): string | null {
  let bytes: Buffer;
  try {
    bytes = head(file, 4096);
  } catch {
    return null;
  }
  if (bytes.subarray(0, 16).toString('latin1') === SQLITE_MAGIC) return 'it is a SQLite database';
  const text = bytes.toString('latin1');
  if (text.includes('PRIVATE KEY-----') || text.includes('"candor-signing-key/')) return 'it holds a signing key';
  if (text.includes('"candor-trust/')) return 'it is a trust store';
  if (text.includes('"candor-anchor/') && !text.startsWith('%PDF-')) return 'it is an anchor (checkpoint file)';
  return null;
}

/**
 * Checks that `target` may be written: its folder exists and is writable, and neither the path
 * nor (after following symlinks) the file it reaches is protected evidence. Returns the real path.
 */
export function checkOutputPath(target: string, guard: ProtectedPaths, what: string): string {
  const abs = resolve(target);
  const folder = dirname(abs);
  if (!existsSync(folder)) throw new OutputPathError(`${what} ${abs}: the folder ${folder} does not exist`);
  if (!statSync(folder).isDirectory()) throw new OutputPathError(`${what} ${abs}: ${folder} is not a folder`);
  const resolved = real(abs);
  if (existsSync(resolved) && statSync(resolved).isDirectory()) throw new OutputPathError(`${what} ${abs}: this is a folder, not a file`);
  const refuse = (why: string): never => {
    throw new OutputPathError(`${what} ${abs}: refused, ${why}; nothing was written`);
  };
  for (const f of guard.files) if (resolved === f) refuse(`it is ${/-(wal|shm|journal)$/.test(f) ? "the audit database's own journal file" : f.endsWith('.json') ? 'the trust store' : 'the audit database'}`);
  for (const d of guard.dirs) if (resolved === d || resolved.startsWith(d + sep)) refuse(`it lies in ${d}, which holds the audit keys or anchors`);
  const sibling = /^(.*)-(wal|shm|journal)$/.exec(resolved);
  if (sibling && existsSync(sibling[1]) && evidenceIn(sibling[1]) === 'it is a SQLite database') refuse(`it is the ${sibling[2]} file of the database ${sibling[1]}`);
  if (existsSync(resolved)) {
    const held = evidenceIn(resolved);
    if (held) refuse(held);
  }
  try {
    accessSync(existsSync(resolved) ? resolved : folder, constants.W_OK);
  } catch {
    throw new OutputPathError(`${what} ${abs}: ${existsSync(resolved) ? 'the file' : `the folder ${folder}`} is not writable`);
  }
  return resolved;
}
