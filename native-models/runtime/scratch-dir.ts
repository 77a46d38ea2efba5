/**
 * A private temporary folder for what onnxruntime loads a tower from (ViT-B/32: its graph, and its
 * weights, 254–352 MB, as external data that onnxruntime maps into memory), deleted as soon as the
 * session exists: on Linux and macOS a deleted file stays readable while it is mapped. On a
 * disk-backed temporary folder, writing it took 0.34–0.80 s per 352 MB (ext4, measured); on a
 * memory-backed one (tmpfs: the user's runtime folder, /dev/shm) 0.14 s. Memory is no worse: the
 * weights are then resident once, in the mapped file, whichever folder holds it.
 * A memory-backed folder is used only where it has room for the files with a margin; else, or where
 * the write there fails, the system's temporary folder.
 */
import { closeSync, lstatSync, mkdtempSync, openSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePieces } from '../onnx/model';

/** statfs f_type of Linux's memory-backed file systems. */
const MEMORY_FS = new Set([0x01021994 /* tmpfs */, 0x858458f6 /* ramfs */]);

/** Room left beside the file, so a large write does not fill the folder other programs use too. */
const MARGIN = 1.25;
const MIN_SPARE_BYTES = 256 * 1024 ** 2;

export interface ScratchCandidate {
  dir: string;
  /** statfs type, and bytes available to this user. */
  type: number;
  available: number;
}

function probe(dir: string): ScratchCandidate | null {
  try {
    const s = statfsSync(dir);
    return { dir, type: s.type, available: Number(s.bavail) * Number(s.bsize) };
  } catch {
    return null;
  }
}

/** Memory-backed folders to try, the user's own first (systemd's /run/user/UID is private to them). */
export function memoryBackedCandidates(env: NodeJS.ProcessEnv = process.env): ScratchCandidate[] {
  if (process.platform !== 'linux') return [];
  const dirs = [env.XDG_RUNTIME_DIR, '/dev/shm'].filter((d): d is string => !!d);
  return dirs.map(probe).filter((c): c is ScratchCandidate => c !== null);
}

/** Where a scratch file of `bytes` goes: the first memory-backed candidate with room for it, else the system's temporary folder. */
export function scratchRoot(bytes: number, candidates: ScratchCandidate[] = memoryBackedCandidates()): string {
  const fits = candidates.find((c) => MEMORY_FS.has(c.type) && c.available >= bytes * MARGIN + MIN_SPARE_BYTES);
  return fits?.dir ?? tmpdir();
}

/** A file to write: each piece's bytes at its offset. */
export interface ScratchFile {
  name: string;
  pieces: readonly { at: number; bytes: Uint8Array }[];
}

function extent(f: ScratchFile): number {
  return f.pieces.reduce((n, p) => Math.max(n, p.at + p.bytes.byteLength), 0);
}

/**
 * `files` written into a new private folder: on a memory-backed file system where one has room for
 * them all, else (or where writing there fails: it may have filled since it was measured) in the
 * system's temporary folder. A failed attempt's folder is removed. Null where no folder takes them;
 * the caller then hands onnxruntime bytes. The caller removes `dir` once onnxruntime has read them.
 */
export function writeScratchFiles(prefix: string, files: readonly ScratchFile[], candidates: ScratchCandidate[] = memoryBackedCandidates()): { dir: string; paths: string[] } | null {
  const bytes = files.reduce((n, f) => n + extent(f), 0);
  const roots = [...new Set([scratchRoot(bytes, candidates), tmpdir()])];
  for (const root of roots) {
    sweepStale(root, prefix);
    let dir: string | null = null;
    try {
      // mkdtemp: a new folder only this user can read (mode 0700).
      const made = mkdtempSync(join(root, prefix));
      dir = made;
      const paths = files.map((f) => {
        const path = join(made, f.name);
        const fd = openSync(path, 'w', 0o600);
        try {
          writePieces(fd, f.pieces);
        } finally {
          closeSync(fd);
        }
        return path;
      });
      return { dir, paths };
    } catch {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
  return null;
}

/**
 * Removes a scratch folder once onnxruntime has loaded from it; false where it could not. Windows
 * refuses to delete a file that is mapped (onnxruntime maps the weights for the session's life):
 * the caller tries again once the session is released, and what a crashed process left is removed
 * by a later writeScratchFiles once it is a day old.
 */
export function removeScratch(dir: string): boolean {
  try {
    rmSync(dir, { recursive: true, force: true });
    return true;
  } catch {
    return false;
  }
}

const STALE_MS = 24 * 3600_000;

/** Folders of `prefix` in `root` left a day ago or more (a crashed process; a file Windows kept mapped). */
export function sweepStale(root: string, prefix: string, now = Date.now()): void {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => n.startsWith(prefix));
  } catch {
    return;
  }
  for (const n of names) {
    const path = join(root, n);
    try {
      const s = lstatSync(path);
      const mine = process.getuid ? s.uid === process.getuid() : true;
      if (s.isDirectory() && mine && now - s.mtimeMs >= STALE_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Another user's, or in use: not ours to remove.
    }
  }
}
