/**
 * Derived ONNX graphs kept on disk between processes, so a restart or the CLI does not derive them
 * again (seconds for a ViT-B/32 tail and its gradient). An entry is three files named by its key:
 * `<key>.weights` (the graph's large weights, as ONNX external data: onnxruntime maps them instead of
 * copying them out of the protobuf, so ViT-B/32's NIB graph session is created in 0.08 s instead of
 * 0.20–0.23 s and its peak memory is 90 MiB lower, measured), `<key>.onnx` (the graph onnxruntime
 * loads, naming that file) and `<key>.json` (what the deriving code recorded about it, with each
 * file's size and SHA-256), written in that order, each to a temporary name then renamed, so a
 * reader sees a whole entry or none. The key hashes everything the graph depends on:
 * the model's SHA-256, the graph's name, layer and options, the derivation format, Candor's and
 * onnxruntime's versions and the CPU. A file that is missing, truncated, corrupt or of another
 * format is a miss: the graph is derived again and the entry rewritten; the cache never fails an
 * explanation. The folder is capped in size: the entries used longest ago go first.
 */
import * as ort from 'onnxruntime-node';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { fileSha256OffThread } from './hash-worker';
import { externalizeWeights, parseModel, serializeModel, writePieces, type ExternalWeights } from '../onnx/model';

/**
 * Bumped whenever the derivation of a cached graph changes what it produces. 2: the gradient rules'
 * forms changed (Tile's gradient reads the input's sizes at run time instead of the probe's batch).
 * 3: gradient graphs read transposed weights through FusedMatMul (onnx/ort-fusion.ts).
 * 4: the weights in a file of their own, as external data.
 */
export const GRAPH_CACHE_FORMAT = 4;
export const DEFAULT_GRAPH_CACHE_BYTES = 2 * 1024 ** 3;

export type CacheKeyParts = Record<string, string | number | boolean | null>;

export interface CachedGraph<M> {
  /** Path of the graph file (give it to onnxruntime). */
  file: string;
  meta: M;
}

interface FileRecord {
  bytes: number;
  sha256: string;
}

interface EntryRecord<M> extends FileRecord {
  format: number;
  key: CacheKeyParts;
  /** The weights file (null where the graph has no weight large enough to move out). */
  weights: FileRecord | null;
  meta: M;
}

type Pieces = ExternalWeights['pieces'];

/** The SHA-256 of a file written as `pieces` (writePieces): zeros between them. */
function piecesSha256(pieces: Pieces): string {
  const h = createHash('sha256');
  let at = 0;
  for (const p of pieces) {
    if (p.at > at) h.update(new Uint8Array(p.at - at));
    h.update(p.bytes);
    at = p.at + p.bytes.byteLength;
  }
  return h.digest('hex');
}

function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export class GraphCache {
  /** What a cache of this process and machine adds to every key. */
  readonly environment: CacheKeyParts;
  /**
   * Outcomes since this object was made (the bench and tests read them); times in ms: checking hits
   * (size, SHA-256), creating sessions from them, deriving what missed (with its validation runs).
   */
  readonly stats = { hits: 0, misses: 0, rejected: 0, written: 0, evicted: 0, writeErrors: 0, checkMs: 0, sessionMs: 0, deriveMs: 0 };
  private pending = new Set<Promise<void>>();

  readonly maxBytes: number;

  constructor(
    readonly dir: string,
    opts: { candorVersion: string; maxBytes?: number },
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_GRAPH_CACHE_BYTES;
    this.environment = { format: GRAPH_CACHE_FORMAT, candor: opts.candorVersion, onnxruntime: ort.env.versions.common ?? 'unknown', cpu: cpus()[0]?.model ?? 'unknown', arch: process.arch };
  }

  /** The entry's file name stem: the SHA-256 of the key parts and the environment, canonically ordered. */
  keyOf(parts: CacheKeyParts): string {
    const all: CacheKeyParts = { ...this.environment, ...parts };
    const canonical = JSON.stringify(Object.keys(all).sort().map((k) => [k, all[k]]));
    return sha256Hex(canonical);
  }

  /**
   * The entry for `parts`, checked whole (record readable, same format and key, graph of the recorded
   * size and SHA-256), else null after removing what was there.
   */
  async get<M>(parts: CacheKeyParts): Promise<CachedGraph<M> | null> {
    const stem = join(this.dir, this.keyOf(parts));
    const record = await this.record<M>(stem);
    if (!record) return null;
    const t0 = performance.now();
    if (!(await this.check(stem, record))) return null;
    this.stats.checkMs += performance.now() - t0;
    return this.hit(stem, record);
  }

  /**
   * The entry for `parts` opened by `load` (onnxruntime building a session from the graph file)
   * while the graph's size and SHA-256 are checked on a worker thread: the first use of a cached
   * graph does not wait for reading and hashing it first (ViT-B/32's NIB graph: 86 MB). What `load`
   * made is handed out only once the check has passed; where it fails, it is disposed of and the
   * entry removed (null, as for a miss). A load that throws is a miss too (the caller derives the
   * graph again and overwrites the entry).
   */
  async open<M, T>(parts: CacheKeyParts, load: (file: string) => Promise<T>, dispose: (value: T) => Promise<void>): Promise<{ value: T; meta: M } | null> {
    const stem = join(this.dir, this.keyOf(parts));
    const record = await this.record<M>(stem);
    if (!record) return null;
    const t0 = performance.now();
    const checked = this.check(stem, record);
    let value: T;
    try {
      value = await load(`${stem}.onnx`);
    } catch {
      if (await checked) this.stats.misses++;
      return null;
    }
    const t1 = performance.now();
    this.stats.sessionMs += t1 - t0;
    const ok = await checked;
    this.stats.checkMs += performance.now() - t1;
    if (!ok) {
      await dispose(value);
      return null;
    }
    return { value, meta: (await this.hit(stem, record)).meta };
  }

  /** The entry's record (null after counting a miss, and removing an unreadable record). */
  private async record<M>(stem: string): Promise<EntryRecord<M> | null> {
    try {
      return JSON.parse(await readFile(`${stem}.json`, 'utf8')) as EntryRecord<M>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') await this.reject(stem);
      this.stats.misses++;
      return null;
    }
  }

  /** Whether the graph and its weights match their record (format, sizes, SHA-256s); a mismatch is removed and counted as a miss. */
  private async check(stem: string, record: EntryRecord<unknown>): Promise<boolean> {
    const matches = async (file: string, r: FileRecord): Promise<boolean> => typeof r.sha256 === 'string' && (await stat(file)).size === r.bytes && (await fileSha256OffThread(file)) === r.sha256;
    try {
      if (record.format !== GRAPH_CACHE_FORMAT) throw new Error('another format');
      const ok = await Promise.all([matches(`${stem}.onnx`, record), record.weights === null || matches(`${stem}.weights`, record.weights)]);
      if (!ok.every(Boolean)) throw new Error('mismatch');
      return true;
    } catch {
      await this.reject(stem);
      this.stats.misses++;
      return false;
    }
  }

  private async hit<M>(stem: string, record: EntryRecord<M>): Promise<CachedGraph<M>> {
    this.stats.hits++;
    // Used now: the size cap removes the entries used longest ago.
    const now = new Date();
    await utimes(`${stem}.json`, now, now).catch(() => undefined);
    return { file: `${stem}.onnx`, meta: record.meta };
  }

  /**
   * Stores a graph now, on this thread, and trims the folder in the background (flush() waits for
   * that). Written at once, not through the event loop: a derivation keeps the thread busy, and a
   * write waiting for turns held the graph's bytes meanwhile (ViT-B/32's first CLI run: four graphs,
   * 250 MB, until the run ended). A failed write leaves no entry behind and is only counted.
   */
  put<M>(parts: CacheKeyParts, bytes: Uint8Array, meta: M): void {
    const stem = join(this.dir, this.keyOf(parts));
    try {
      this.write(stem, parts, bytes, meta);
    } catch {
      this.stats.writeErrors++;
      try {
        rmSync(`${stem}.json`, { force: true });
      } catch {
        // no folder to clean
      }
      return;
    }
    const p = this.trim();
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Waits for the trims under way. */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private write<M>(stem: string, parts: CacheKeyParts, bytes: Uint8Array, meta: M): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `.${randomBytes(6).toString('hex')}.tmp`;
    const split = externalizeWeights(parseModel(bytes, `the derived graph for ${stem}.onnx`), `${basename(stem)}.weights`);
    const graph = serializeModel(split.model);
    const weights = split.pieces.length ? { bytes: split.size, sha256: piecesSha256(split.pieces) } : null;
    const record: EntryRecord<M> = { format: GRAPH_CACHE_FORMAT, key: { ...this.environment, ...parts }, bytes: graph.byteLength, sha256: sha256Hex(graph), weights, meta };
    // The record goes last: it is what makes the entry exist.
    rmSync(`${stem}.json`, { force: true });
    try {
      if (weights) {
        const fd = openSync(`${stem}.weights${tmp}`, 'w');
        try {
          writePieces(fd, split.pieces);
        } finally {
          closeSync(fd);
        }
        renameSync(`${stem}.weights${tmp}`, `${stem}.weights`);
      }
      writeFileSync(`${stem}.onnx${tmp}`, graph);
      renameSync(`${stem}.onnx${tmp}`, `${stem}.onnx`);
      writeFileSync(`${stem}.json${tmp}`, JSON.stringify(record));
      renameSync(`${stem}.json${tmp}`, `${stem}.json`);
    } catch (e) {
      for (const ext of ['weights', 'onnx', 'json']) rmSync(`${stem}.${ext}${tmp}`, { force: true });
      throw e;
    }
    this.stats.written++;
  }

  private async reject(stem: string): Promise<void> {
    this.stats.rejected++;
    for (const ext of ['json', 'onnx', 'weights']) await rm(`${stem}.${ext}`, { force: true }).catch(() => undefined);
  }

  /** Removes the entries used longest ago until the folder is within maxBytes; strays (no record, old temporaries) go too. */
  async trim(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const entries: { stem: string; used: number; size: number }[] = [];
    for (const n of names) {
      const m = /^([0-9a-f]{64})\.json$/.exec(n);
      if (!m) continue;
      const stem = join(this.dir, m[1]);
      const [j, o, w] = await Promise.all(['json', 'onnx', 'weights'].map((ext) => stat(`${stem}.${ext}`).catch(() => null)));
      if (j && o) entries.push({ stem, used: j.mtimeMs, size: j.size + o.size + (w?.size ?? 0) });
    }
    const known = new Set(entries.map((e) => e.stem));
    const hour = Date.now() - 3600_000;
    for (const n of names) {
      const m = /^([0-9a-f]{64})\.(onnx|weights)$/.exec(n);
      const stray = (m && !known.has(join(this.dir, m[1]))) || n.endsWith('.tmp');
      if (!stray) continue;
      // A temporary or a graph whose record is still being written may belong to a live writer.
      const s = await stat(join(this.dir, n)).catch(() => null);
      if (s && s.mtimeMs < hour) await rm(join(this.dir, n), { force: true }).catch(() => undefined);
    }
    entries.sort((a, b) => a.used - b.used);
    let total = entries.reduce((s, e) => s + e.size, 0);
    for (const e of entries) {
      if (total <= this.maxBytes) break;
      await this.reject(e.stem);
      this.stats.rejected--;
      this.stats.evicted++;
      total -= e.size;
    }
  }
}
