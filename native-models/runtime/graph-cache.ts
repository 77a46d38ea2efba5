/**
 * Derived ONNX graphs kept on disk between processes, so a restart or the CLI does not derive them
 * again (seconds for a ViT-B/32 tail and its gradient). An entry is a graph `<key>.onnx` (what
 * onnxruntime loads) and its record `<key>.json` (what the deriving code recorded about it, with the
 * size and SHA-256 of each file), and the graph's large weights as ONNX external data in
 * `w-<SHA-256 of the weights>.weights`: onnxruntime maps them instead of copying them out of the
 * protobuf (ViT-B/32's NIB graph session is created in 0.08 s instead of 0.20–0.23 s and its peak
 * memory is 90 MiB lower, measured), and entries with the same weights share one file (NIB's folded
 * graph and the plain tail it was checked against: ViT-B/32, 126 of 252 MB per layer). Each file is
 * written to a temporary name then renamed, the record last, so a reader sees a whole entry or none.
 * The key hashes everything the graph depends on: the model's SHA-256, the graph's name, layer and
 * options, the derivation format, Candor's and onnxruntime's versions and the CPU. A file that is
 * missing, truncated, corrupt or of another format is a miss: the graph is derived again and the
 * entry rewritten; the cache never fails an explanation. The folder is capped in size: the entries
 * used longest ago go first, and a weights file with them once no entry uses it. A record may also
 * stand alone, with no graph (putRecord: what a model's load found by running it).
 */
import * as ort from 'onnxruntime-node';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, type Stats } from 'node:fs';
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileSha256OffThread } from './hash-worker';
import { externalizeWeights, parseModel, serializeModel, withExternalLocation, writePieces, type ExternalWeights } from '../onnx/model';

/**
 * Bumped whenever the derivation of a cached graph changes what it produces. 2: the gradient rules'
 * forms changed (Tile's gradient reads the input's sizes at run time instead of the probe's batch).
 * 3: gradient graphs read transposed weights through FusedMatMul (onnx/ort-fusion.ts).
 * 4: the weights in a file of their own, as external data. 5: that file named by its content, shared.
 * 6: an entry opened once is replaced by onnxruntime's optimized form of it (`optimized` records).
 */
export const GRAPH_CACHE_FORMAT = 6;
export const DEFAULT_GRAPH_CACHE_BYTES = 2 * 1024 ** 3;

export type CacheKeyParts = Record<string, string | number | boolean | null>;

export interface CachedGraph<M> {
  /** Path of the graph file (give it to onnxruntime). */
  file: string;
  /** The graph is onnxruntime's optimized form: load it with graph optimization off. */
  optimized: boolean;
  meta: M;
}

/** How open() has a graph loaded: as stored, and whether onnxruntime writes its optimized form meanwhile. */
export interface GraphForm {
  /** The file is onnxruntime's optimized form of the graph: load it with graph optimization off. */
  optimized: boolean;
  /** Where onnxruntime is to write its optimized form as it makes the session (graph file; weights file's name beside it). */
  saveOptimized: { graph: string; weights: string } | null;
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
  /** A record with no graph (putRecord): `bytes` and `sha256` are those of its meta as JSON. */
  graphless?: true;
  /**
   * true: the graph is onnxruntime's optimized form of the one derived (adoptOptimized); false: that
   * form was made once and not kept (laid out for this CPU's vector width), so it is not made again.
   */
  optimized?: boolean;
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

/** The weights file of the entries whose weights have this SHA-256. */
function weightsName(sha256: string): string {
  return `w-${sha256}.weights`;
}

/** The weights file a record names, if it names a well-formed one (a record is read from disk: never a path from it). */
function recordedWeights(record: EntryRecord<unknown>): string | null {
  const sha = record.weights?.sha256;
  return typeof sha === 'string' && /^[0-9a-f]{64}$/.test(sha) ? weightsName(sha) : null;
}

/** Which file this is, as far as its metadata tells: a rewrite or a replacement changes it. */
function fileId(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
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
   * Records without a graph (getRecord, putRecord) are counted apart (record*); evictions count both.
   */
  readonly stats = { hits: 0, misses: 0, rejected: 0, written: 0, evicted: 0, writeErrors: 0, checkMs: 0, sessionMs: 0, deriveMs: 0, recordHits: 0, recordMisses: 0, recordsWritten: 0, hashedAhead: 0, optimized: 0, optimizedHits: 0 };
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
   *
   * With `optimize`, an entry opened for the first time has onnxruntime write its optimized form of
   * the graph as it loads it, and that form then replaces the entry (adoptOptimized): later opens
   * load it with graph optimization off (ViT-B/32's NIB graph: its session in 0.03 s instead of
   * 0.07 s, the same runs bit for bit, measured). Only for the CPU: a form optimized for an
   * accelerator may hold nodes only that accelerator runs.
   */
  async open<M, T>(parts: CacheKeyParts, load: (file: string, form: GraphForm) => Promise<T>, dispose: (value: T) => Promise<void>, opts: { optimize?: boolean } = {}): Promise<{ value: T; meta: M } | null> {
    const stem = join(this.dir, this.keyOf(parts));
    const record = await this.record<M>(stem);
    if (!record) return null;
    const t0 = performance.now();
    const checked = this.check(stem, record);
    const optimized = record.optimized === true;
    const token = randomBytes(6).toString('hex');
    let saving = record.optimized === undefined && opts.optimize ? { graph: `${stem}.opt.${token}.tmp`, weights: `w-${token}.weights.tmp` } : null;
    const unsave = (): void => {
      if (saving) for (const f of [saving.graph, join(this.dir, saving.weights)]) rmSync(f, { force: true });
      saving = null;
    };
    let value: T;
    try {
      try {
        value = await load(`${stem}.onnx`, { optimized, saveOptimized: saving });
      } catch (e) {
        // Where the optimized form cannot be written (a full disk), the graph is still loaded as it is.
        if (!saving) throw e;
        unsave();
        value = await load(`${stem}.onnx`, { optimized, saveOptimized: null });
      }
    } catch {
      if (await checked) this.stats.misses++;
      return null;
    }
    const t1 = performance.now();
    this.stats.sessionMs += t1 - t0;
    const ok = await checked;
    this.stats.checkMs += performance.now() - t1;
    if (!ok) {
      unsave();
      await dispose(value);
      return null;
    }
    if (optimized) this.stats.optimizedHits++;
    if (saving) this.later(this.adoptOptimized(stem, record, saving));
    return { value, meta: (await this.hit(stem, record)).meta };
  }

  /**
   * Makes onnxruntime's optimized form of an entry's graph (written where open() asked) the entry:
   * its weights hashed (on a worker thread) and named by that hash like any entry's, the graph
   * pointed at them, then graph and record renamed into place, the record last. A form laid out for
   * this CPU's vector width (NCHWc, for convolutions) is not kept: the key names the CPU's model, not
   * its vector units, and a virtual machine may hide some. The entry as derived stays on any failure.
   */
  private async adoptOptimized<M>(stem: string, record: EntryRecord<M>, saved: { graph: string; weights: string }): Promise<void> {
    const savedWeights = join(this.dir, saved.weights);
    const tmp = `.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const model = parseModel(await readFile(saved.graph), saved.graph);
      if ((model.graph?.node ?? []).some((n) => n.domain === 'com.microsoft.nchwc')) {
        writeFileSync(`${stem}.json${tmp}`, JSON.stringify({ ...record, optimized: false }));
        renameSync(`${stem}.json${tmp}`, `${stem}.json`);
        return;
      }
      let weights: FileRecord | null = null;
      if (existsSync(savedWeights)) weights = { bytes: (await stat(savedWeights)).size, sha256: await fileSha256OffThread(savedWeights) };
      const graph = serializeModel(weights ? withExternalLocation(model, weightsName(weights.sha256)) : model);
      const adopted: EntryRecord<M> = { ...record, bytes: graph.byteLength, sha256: sha256Hex(graph), weights, optimized: true };
      writeFileSync(`${stem}.onnx${tmp}`, graph);
      writeFileSync(`${stem}.json${tmp}`, JSON.stringify(adopted));
      if (weights) {
        const named = join(this.dir, weightsName(weights.sha256));
        // Weights another entry adopted already are not kept twice (their name is their hash).
        if (!hasSize(named, weights.bytes)) renameSync(savedWeights, named);
      }
      // As in write(): no record while the graph is replaced, so a reader sees the old entry, the new one, or none.
      rmSync(`${stem}.json`, { force: true });
      renameSync(`${stem}.onnx${tmp}`, `${stem}.onnx`);
      renameSync(`${stem}.json${tmp}`, `${stem}.json`);
      this.stats.optimized++;
    } catch {
      this.stats.writeErrors++;
    } finally {
      for (const f of [saved.graph, savedWeights, `${stem}.onnx${tmp}`, `${stem}.json${tmp}`]) rmSync(f, { force: true });
    }
    this.trimLater();
  }

  /**
   * Starts hashing the files of the entry for `parts` now, on the hashing threads, for the check that
   * will open it: an explanation starts the checks of the graphs it will open, so their hashing runs
   * beside its first steps instead of after them. The hash is used only for the same file (path,
   * size, times, inode) and only once. Nothing happens where there is no entry. Settles once the
   * hashes are done (or have failed: the check then hashes again).
   */
  async verifyAhead(parts: CacheKeyParts): Promise<void> {
    const stem = join(this.dir, this.keyOf(parts));
    if (this.aheadEntries.has(stem)) return;
    const hashing: Promise<void>[] = [];
    // An entry that is missing or unreadable is the check's to report: nothing is hashed ahead.
    const started = readFile(`${stem}.json`, 'utf8')
      .then((text) => {
        const record = JSON.parse(text) as EntryRecord<unknown>;
        const weights = record.weights ? recordedWeights(record) : null;
        for (const file of [`${stem}.onnx`, ...(weights ? [join(this.dir, weights)] : [])]) hashing.push(this.hashAhead(file));
      })
      .catch(() => undefined);
    this.aheadEntries.set(stem, started);
    await started;
    await Promise.all(hashing);
  }

  /** Entries whose files are being hashed ahead: settled once their hashes have started. */
  private readonly aheadEntries = new Map<string, Promise<void>>();
  private readonly aheadFiles = new Map<string, Promise<{ id: string; sha256: Promise<string> } | null>>();

  /** Settles (never rejects) once the file is hashed; a failed hash is the check's to redo. */
  private async hashAhead(file: string): Promise<void> {
    if (this.aheadFiles.has(file)) return;
    const started = stat(file).then(
      (st) => {
        const sha256 = fileSha256OffThread(file);
        sha256.catch(() => undefined);
        return { id: fileId(st), sha256 };
      },
      () => null,
    );
    this.aheadFiles.set(file, started);
    await (await started)?.sha256.catch(() => undefined);
  }

  /** A file's SHA-256: hashed ahead (verifyAhead) where that was of this very file, else now. Each hash ahead is used once. */
  private async digest(file: string, st: Stats): Promise<string> {
    const pending = this.aheadFiles.get(file);
    this.aheadFiles.delete(file);
    const ahead = pending ? await pending : null;
    if (!ahead || ahead.id !== fileId(st)) return fileSha256OffThread(file);
    this.stats.hashedAhead++;
    return ahead.sha256;
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
    // A hash started ahead is found once its start has been registered.
    await this.aheadEntries.get(stem);
    this.aheadEntries.delete(stem);
    const matches = async (file: string, r: FileRecord): Promise<boolean> => {
      if (typeof r.sha256 !== 'string') return false;
      const st = await stat(file);
      return st.size === r.bytes && (await this.digest(file, st)) === r.sha256;
    };
    const weights = record.weights ? recordedWeights(record) : null;
    try {
      if (record.format !== GRAPH_CACHE_FORMAT) throw new Error('another format');
      if (record.weights && !weights) throw new Error('no weights file named');
      const [graphOk, weightsOk] = await Promise.all([matches(`${stem}.onnx`, record), weights && record.weights ? matches(join(this.dir, weights), record.weights).catch(() => false) : true]);
      // Damaged weights are no use to any entry that shares them: the next derivation writes them again.
      if (!weightsOk && weights) await rm(join(this.dir, weights), { force: true }).catch(() => undefined);
      if (!graphOk || !weightsOk) throw new Error('mismatch');
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
    return { file: `${stem}.onnx`, optimized: record.optimized === true, meta: record.meta };
  }

  /**
   * What was stored for `parts` by putRecord (null after counting a miss: none, unreadable, of another
   * format or key, or its content not matching its recorded size and SHA-256, which is then removed).
   */
  async getRecord<M>(parts: CacheKeyParts): Promise<M | null> {
    const stem = join(this.dir, this.keyOf(parts));
    let record: EntryRecord<M> | null = null;
    try {
      record = JSON.parse(await readFile(`${stem}.json`, 'utf8')) as EntryRecord<M>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        this.stats.recordMisses++;
        return null;
      }
    }
    const text = JSON.stringify(record?.meta ?? null);
    const key = JSON.stringify({ ...this.environment, ...parts });
    if (!record?.graphless || record.format !== GRAPH_CACHE_FORMAT || JSON.stringify(record.key) !== key || record.bytes !== Buffer.byteLength(text) || record.sha256 !== sha256Hex(text)) {
      await this.remove(stem);
      this.stats.recordMisses++;
      return null;
    }
    this.stats.recordHits++;
    await utimes(`${stem}.json`, new Date(), new Date()).catch(() => undefined);
    return record.meta;
  }

  /**
   * Keeps `meta` (plain JSON) for `parts` without a graph: what a model's load found by running it,
   * so a later load need not run it again. Counted against the cap and evicted like a graph; a failed
   * write is only counted.
   */
  putRecord<M>(parts: CacheKeyParts, meta: M): void {
    const stem = join(this.dir, this.keyOf(parts));
    const text = JSON.stringify(meta);
    const record: EntryRecord<M> = { format: GRAPH_CACHE_FORMAT, key: { ...this.environment, ...parts }, bytes: Buffer.byteLength(text), sha256: sha256Hex(text), weights: null, meta, graphless: true };
    const tmp = `${stem}.json.${randomBytes(6).toString('hex')}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, JSON.stringify(record));
      renameSync(tmp, `${stem}.json`);
    } catch {
      this.stats.writeErrors++;
      try {
        rmSync(tmp, { force: true });
      } catch {
        // no folder to clean
      }
      return;
    }
    this.stats.recordsWritten++;
    this.trimLater();
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
    this.trimLater();
  }

  /** Trims in the background; flush() waits for it. */
  private trimLater(): void {
    this.later(this.trim());
  }

  /** Work in the background that flush() waits for. */
  private later(p: Promise<void>): void {
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
    const parsed = parseModel(bytes, `the derived graph for ${stem}.onnx`);
    // Laid out once to hash the weights (views, no copy), then again naming the file that hash names.
    const laidOut = externalizeWeights(parsed, '');
    const weights = laidOut.pieces.length ? { bytes: laidOut.size, sha256: piecesSha256(laidOut.pieces) } : null;
    const split = weights ? externalizeWeights(parsed, weightsName(weights.sha256)) : laidOut;
    const graph = serializeModel(split.model);
    const record: EntryRecord<M> = { format: GRAPH_CACHE_FORMAT, key: { ...this.environment, ...parts }, bytes: graph.byteLength, sha256: sha256Hex(graph), weights, meta };
    const shared = weights ? join(this.dir, weightsName(weights.sha256)) : null;
    // The record goes last: it is what makes the entry exist.
    rmSync(`${stem}.json`, { force: true });
    try {
      // Weights another entry wrote already are not written again (damaged ones were removed by check).
      if (shared && !hasSize(shared, split.size)) {
        const fd = openSync(`${shared}${tmp}`, 'w');
        try {
          writePieces(fd, split.pieces);
        } finally {
          closeSync(fd);
        }
        renameSync(`${shared}${tmp}`, shared);
      } else if (shared) {
        // In use again: not a stray for trim.
        utimesSync(shared, new Date(), new Date());
      }
      writeFileSync(`${stem}.onnx${tmp}`, graph);
      renameSync(`${stem}.onnx${tmp}`, `${stem}.onnx`);
      writeFileSync(`${stem}.json${tmp}`, JSON.stringify(record));
      renameSync(`${stem}.json${tmp}`, `${stem}.json`);
    } catch (e) {
      for (const f of [...(shared ? [`${shared}${tmp}`] : []), `${stem}.onnx${tmp}`, `${stem}.json${tmp}`]) rmSync(f, { force: true });
      throw e;
    }
    this.stats.written++;
  }

  /** Removes an entry (its weights stay: other entries may share them; trim removes them once none does). */
  private async reject(stem: string): Promise<void> {
    this.stats.rejected++;
    await this.remove(stem);
  }

  private async remove(stem: string): Promise<void> {
    // `<key>.weights`: an entry of format 4, whose weights were its own.
    for (const ext of ['json', 'onnx', 'weights']) await rm(`${stem}.${ext}`, { force: true }).catch(() => undefined);
  }

  /**
   * Removes the entries used longest ago until the folder is within maxBytes, with each weights file
   * once no entry left uses it; strays (a graph or weights no record names, old temporaries) go too.
   */
  async trim(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const entries: { stem: string; used: number; size: number; weights: string | null }[] = [];
    for (const n of names) {
      const m = /^([0-9a-f]{64})\.json$/.exec(n);
      if (!m) continue;
      const stem = join(this.dir, m[1]);
      const [j, o] = await Promise.all(['json', 'onnx'].map((ext) => stat(`${stem}.${ext}`).catch(() => null)));
      if (!j) continue;
      const record = await readFile(`${stem}.json`, 'utf8').then((t) => JSON.parse(t) as EntryRecord<unknown>).catch(() => null);
      if (!o && !record?.graphless) continue;
      const weights = record ? (record.format === 4 ? `${m[1]}.weights` : recordedWeights(record)) : null;
      entries.push({ stem, used: j.mtimeMs, size: j.size + (o?.size ?? 0), weights });
    }
    const known = new Set(entries.map((e) => e.stem));
    const users = new Map<string, number>();
    for (const e of entries) if (e.weights) users.set(e.weights, (users.get(e.weights) ?? 0) + 1);
    const hour = Date.now() - 3600_000;
    for (const n of names) {
      const graph = /^([0-9a-f]{64})\.onnx$/.exec(n);
      const stray = (graph && !known.has(join(this.dir, graph[1]))) || (n.endsWith('.weights') && !users.has(n)) || n.endsWith('.tmp');
      if (!stray) continue;
      // A temporary, or a file whose record is still being written, may belong to a live writer.
      const s = await stat(join(this.dir, n)).catch(() => null);
      if (s && s.mtimeMs < hour) await rm(join(this.dir, n), { force: true }).catch(() => undefined);
    }
    const weightsSize = new Map<string, number>();
    for (const w of users.keys()) weightsSize.set(w, (await stat(join(this.dir, w)).catch(() => null))?.size ?? 0);
    entries.sort((a, b) => a.used - b.used);
    let total = entries.reduce((s, e) => s + e.size, 0) + [...weightsSize.values()].reduce((s, n) => s + n, 0);
    for (const e of entries) {
      if (total <= this.maxBytes) break;
      await this.remove(e.stem);
      this.stats.evicted++;
      total -= e.size;
      if (!e.weights) continue;
      const left = (users.get(e.weights) ?? 1) - 1;
      users.set(e.weights, left);
      if (left > 0) continue;
      await rm(join(this.dir, e.weights), { force: true }).catch(() => undefined);
      total -= weightsSize.get(e.weights) ?? 0;
    }
  }
}

function hasSize(file: string, bytes: number): boolean {
  try {
    return statSync(file).size === bytes;
  } catch {
    return false;
  }
}
