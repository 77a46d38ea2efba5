/**
 * Studies from disk: a folder scanned recursively, or a DICOMDIR, grouped by Study and
 * Series Instance UID and sorted by Instance Number. Only headers are read (parsing stops
 * before Pixel Data); files that are not images are listed as skipped with the reason.
 */
import { lstat, open, readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { DataSet } from 'dicom-parser';
import { ImagingError, describeThrown } from './errors';
import { parseDicomBytes } from './dicom-file';
import { str } from './dicom-header';
import { encodingOf, textValue } from './charset';
import { kindOf } from './sniff';

export interface InstanceEntry {
  path: string;
  format: 'dicom' | 'png' | 'jpeg';
  sopInstanceUid: string | null;
  instanceNumber: number | null;
  frames: number;
}

export interface Series {
  seriesInstanceUid: string;
  seriesNumber: number | null;
  modality: string | null;
  description: string | null;
  instances: InstanceEntry[];
}

export interface Study {
  studyInstanceUid: string;
  patientName: string | null;
  patientId: string | null;
  studyDate: string | null;
  description: string | null;
  series: Series[];
}

export interface FolderScan {
  studies: Study[];
  skipped: { path: string; reason: string }[];
}

export interface ScanFolderOptions {
  hideIdentifying?: boolean;
  /** Stop after this many files (a guard against scanning a whole disk). */
  maxFiles?: number;
}

/** Header bytes read per file; enough for any real header, and DICOM files are re-read in full only when needed. */
const HEADER_BYTES = 256 * 1024;
const CONCURRENCY = 8;

interface Found {
  path: string;
  format: InstanceEntry['format'];
  study: string;
  series: string;
  seriesNumber: number | null;
  modality: string | null;
  seriesDescription: string | null;
  patientName: string | null;
  patientId: string | null;
  studyDate: string | null;
  studyDescription: string | null;
  sopInstanceUid: string | null;
  instanceNumber: number | null;
  frames: number;
}

async function readHead(path: string, size: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(size, HEADER_BYTES));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return new Uint8Array(buf.buffer, buf.byteOffset, bytesRead);
  } finally {
    await handle.close();
  }
}

function int(ds: DataSet, tag: string): number | null {
  const v = ds.intString(tag);
  return v === undefined || Number.isNaN(v) ? null : v;
}

/** Parses a header that may have been cut short before Pixel Data: that is expected here. */
function parseHeader(path: string, bytes: Uint8Array): DataSet {
  return parseDicomBytes(path, bytes, { untilTag: 'x7fe00010' });
}

async function inspect(path: string, size: number, hide: boolean): Promise<Found> {
  const head = await readHead(path, size);
  const kind = kindOf(path, head);
  if (kind !== 'dicom') {
    const dir = dirname(path);
    return {
      path, format: kind, study: `folder:${dir}`, series: `folder:${dir}`, seriesNumber: null, modality: null,
      seriesDescription: basename(dir), patientName: null, patientId: null, studyDate: null, studyDescription: `Images in ${basename(dir)}`,
      sopInstanceUid: null, instanceNumber: null, frames: 1,
    };
  }
  let ds: DataSet;
  try {
    ds = parseHeader(path, head);
  } catch (err) {
    if (size <= HEADER_BYTES) throw err;
    const whole = await readFile(path);
    ds = parseHeader(path, new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength));
  }
  if (!ds.elements.x7fe00010 && size <= HEADER_BYTES) throw new ImagingError(path, 'a DICOM file without an image (no Pixel Data)');
  const encoding = encodingOf(ds);
  const text = (tag: string) => textValue(ds, tag, encoding);
  return {
    path,
    format: 'dicom',
    study: text('x0020000d') ?? `unknown-study:${dirname(path)}`,
    series: text('x0020000e') ?? `unknown-series:${dirname(path)}`,
    seriesNumber: int(ds, 'x00200011'),
    modality: text('x00080060'),
    seriesDescription: text('x0008103e'),
    patientName: hide ? null : text('x00100010'),
    patientId: hide ? null : text('x00100020'),
    studyDate: hide ? null : text('x00080020'),
    studyDescription: text('x00081030'),
    sopInstanceUid: text('x00080018'),
    instanceNumber: int(ds, 'x00200013'),
    frames: int(ds, 'x00280008') ?? 1,
  };
}

function byNumberThenPath(a: { n: number | null; p: string }, b: { n: number | null; p: string }): number {
  if (a.n !== null && b.n !== null && a.n !== b.n) return a.n - b.n;
  if (a.n === null && b.n !== null) return 1;
  if (a.n !== null && b.n === null) return -1;
  return a.p < b.p ? -1 : a.p > b.p ? 1 : 0;
}

function group(found: Found[]): Study[] {
  const studies = new Map<string, Study>();
  const series = new Map<string, Series>();
  for (const f of found) {
    let study = studies.get(f.study);
    if (!study) {
      study = { studyInstanceUid: f.study, patientName: f.patientName, patientId: f.patientId, studyDate: f.studyDate, description: f.studyDescription, series: [] };
      studies.set(f.study, study);
    }
    const key = `${f.study}\u0000${f.series}`;
    let s = series.get(key);
    if (!s) {
      s = { seriesInstanceUid: f.series, seriesNumber: f.seriesNumber, modality: f.modality, description: f.seriesDescription, instances: [] };
      series.set(key, s);
      study.series.push(s);
    }
    s.instances.push({ path: f.path, format: f.format, sopInstanceUid: f.sopInstanceUid, instanceNumber: f.instanceNumber, frames: f.frames });
  }
  const out = [...studies.values()];
  for (const st of out) {
    st.series.sort((a, b) => byNumberThenPath({ n: a.seriesNumber, p: a.seriesInstanceUid }, { n: b.seriesNumber, p: b.seriesInstanceUid }));
    for (const s of st.series) s.instances.sort((a, b) => byNumberThenPath({ n: a.instanceNumber, p: a.path }, { n: b.instanceNumber, p: b.path }));
  }
  return out.sort((a, b) => (a.studyDate ?? '').localeCompare(b.studyDate ?? '') || a.studyInstanceUid.localeCompare(b.studyInstanceUid));
}

async function walk(root: string, maxFiles: number): Promise<{ path: string; size: number }[]> {
  const files: { path: string; size: number }[] = [];
  const stack = [root];
  while (stack.length && files.length < maxFiles) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      // Symbolic links are not followed: a link back up the tree would never end.
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) {
        if (e.name.toUpperCase() === 'DICOMDIR') continue;
        const info = await lstat(p).catch(() => null);
        if (info) files.push({ path: p, size: info.size });
        if (files.length >= maxFiles) break;
      }
    }
  }
  return files;
}

async function inspectAll(files: { path: string; size: number }[], hide: boolean): Promise<FolderScan> {
  const found: Found[] = [];
  const skipped: FolderScan['skipped'] = [];
  let next = 0;
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    while (next < files.length) {
      const f = files[next++]!;
      if (f.size === 0) {
        skipped.push({ path: f.path, reason: 'the file is empty' });
        continue;
      }
      try {
        found.push(await inspect(f.path, f.size, hide));
      } catch (err) {
        skipped.push({ path: f.path, reason: err instanceof ImagingError ? err.reason : describeThrown(err) });
      }
    }
  });
  await Promise.all(workers);
  skipped.sort((a, b) => a.path.localeCompare(b.path));
  return { studies: group(found), skipped };
}

/** Finds a referenced file; DICOMDIR file IDs are upper case, the files on disk may not be. */
async function resolveFileId(base: string, parts: string[]): Promise<string | null> {
  let current = base;
  for (const part of parts) {
    const exact = join(current, part);
    if (await stat(exact).then(() => true, () => false)) {
      current = exact;
      continue;
    }
    const entries = await readdir(current).catch(() => [] as string[]);
    const match = entries.find((e) => e.toUpperCase() === part.toUpperCase());
    if (!match) return null;
    current = join(current, match);
  }
  return current;
}

type DirectoryItem = NonNullable<DataSet['elements'][string]['items']>[number];

/** Directory records in depth-first order by their offsets, or null if the offsets do not make a tree. */
function recordsInTreeOrder(ds: DataSet, records: DirectoryItem[]): DirectoryItem[] | null {
  const byOffset = new Map<number, DirectoryItem>();
  for (const item of records) byOffset.set(item.dataOffset - 8, item);
  const out: DirectoryItem[] = [];
  const seen = new Set<number>();
  const visit = (first: number, depth: number): boolean => {
    for (let offset = first; offset !== 0; ) {
      const item = byOffset.get(offset);
      if (!item?.dataSet || seen.has(offset) || depth > 8) return false;
      seen.add(offset);
      out.push(item);
      const lower = item.dataSet.uint32('x00041420') ?? 0;
      if (lower !== 0 && !visit(lower, depth + 1)) return false;
      offset = item.dataSet.uint32('x00041400') ?? 0;
    }
    return true;
  };
  const root = ds.uint32('x00041200') ?? 0;
  if (root === 0 || !visit(root, 0) || out.length !== records.length) return null;
  return out;
}

async function readDicomdir(path: string, hide: boolean): Promise<FolderScan> {
  const info = await stat(path);
  if (info.size > 256 * 2 ** 20) throw new ImagingError(path, 'the DICOMDIR is implausibly large');
  const buf = await readFile(path);
  const ds = parseDicomBytes(path, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  const records = ds.elements.x00041220?.items;
  if (!records) throw new ImagingError(path, 'not a DICOMDIR (no Directory Record Sequence)');
  const base = dirname(path);
  const encoding = encodingOf(ds);
  const found: Found[] = [];
  const skipped: FolderScan['skipped'] = [];
  // The hierarchy is given by record offsets (next record, first lower-level record); walk it
  // depth-first. Where the offsets do not resolve, fall back to the listing order.
  const ordered = recordsInTreeOrder(ds, records) ?? records;
  let patient = { name: null as string | null, id: null as string | null };
  let study = { uid: '', date: null as string | null, description: null as string | null };
  let series = { uid: '', number: null as number | null, modality: null as string | null, description: null as string | null };
  for (const item of ordered) {
    const r = item.dataSet;
    if (!r) continue;
    const type = (str(r, 'x00041430') ?? '').trim().toUpperCase();
    const text = (tag: string) => textValue(r, tag, encoding);
    if (type === 'PATIENT') patient = { name: hide ? null : text('x00100010'), id: hide ? null : text('x00100020') };
    else if (type === 'STUDY') study = { uid: text('x0020000d') ?? `study-${found.length}`, date: hide ? null : text('x00080020'), description: text('x00081030') };
    else if (type === 'SERIES') series = { uid: text('x0020000e') ?? `series-${found.length}`, number: int(r, 'x00200011'), modality: text('x00080060'), description: text('x0008103e') };
    else if (type === 'IMAGE') {
      const n = r.numStringValues('x00041500') ?? 0;
      const parts: string[] = [];
      for (let i = 0; i < n; i++) parts.push((r.string('x00041500', i) ?? '').trim());
      if (parts.length === 0 || parts.some((p) => p === '' || p === '..' || p.includes('/'))) {
        skipped.push({ path, reason: 'an IMAGE record with an invalid Referenced File ID' });
        continue;
      }
      const file = await resolveFileId(base, parts);
      if (!file) {
        skipped.push({ path: join(base, ...parts), reason: 'listed in the DICOMDIR but missing on disk' });
        continue;
      }
      found.push({
        path: file, format: 'dicom', study: study.uid, series: series.uid, seriesNumber: series.number, modality: series.modality,
        seriesDescription: series.description, patientName: patient.name, patientId: patient.id, studyDate: study.date,
        studyDescription: study.description, sopInstanceUid: text('x00041511'), instanceNumber: int(r, 'x00200013'), frames: int(r, 'x00280008') ?? 1,
      });
    }
  }
  return { studies: group(found), skipped };
}

export async function scanFolderDetailed(path: string, options: ScanFolderOptions = {}): Promise<FolderScan> {
  const hide = options.hideIdentifying === true;
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImagingError(path, code === 'ENOENT' ? 'no such file or folder' : `cannot be read (${describeThrown(err)})`);
  }
  const root = resolve(path);
  if (info.isFile()) {
    if (basename(root).toUpperCase() === 'DICOMDIR') return readDicomdir(root, hide);
    throw new ImagingError(path, 'is a file; open it as a scan, or choose its folder or a DICOMDIR');
  }
  if (!info.isDirectory()) throw new ImagingError(path, 'is neither a folder nor a DICOMDIR');
  const entries = await readdir(root).catch((err: unknown) => {
    throw new ImagingError(path, `cannot be listed (${describeThrown(err)})`);
  });
  const dicomdir = entries.find((e) => e.toUpperCase() === 'DICOMDIR');
  if (dicomdir) {
    try {
      return await readDicomdir(join(root, dicomdir), hide);
    } catch {
      // A broken DICOMDIR should not hide the files next to it: fall back to scanning.
    }
  }
  return inspectAll(await walk(root, options.maxFiles ?? 100_000), hide);
}

export async function scanFolder(path: string, options: ScanFolderOptions = {}): Promise<Study[]> {
  return (await scanFolderDetailed(path, options)).studies;
}

