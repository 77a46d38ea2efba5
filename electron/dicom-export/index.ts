/**
 * A finding's results as standard DICOM objects, in the source scan's study: the attribution map
 * as a Parametric Map, the map above a threshold as a Segmentation, the scan with the overlay
 * burned in as a Secondary Capture, and the finding as a TID 1500 Comprehensive SR that
 * references them. Objects are built in memory (`buildFindingObjects`, for a PACS push) or
 * written to a folder (`writeFindingObjects`, for the CLI and the app).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordedFinding } from '../../db/types';
import { objectContext, type ObjectContext } from './common';
import { writePart10, type Dataset } from './dcmjs';
import { DicomExportError } from './errors';
import { parametricMapDataset, type AttributionMap } from './parametric-map';
import { secondaryCaptureDataset } from './secondary-capture';
import { segmentationDataset } from './segmentation';
import { openSource } from './source';
import { structuredReportDataset } from './structured-report';
import type { DicomObject, FindingObjects, FindingObjectsInput, ObjectKind } from './types';
import { nameUid } from './uids';

export type { DicomObject, ExportOptions, FindingObjects, FindingObjectsInput, ObjectKind } from './types';
export { OBJECT_KINDS } from './types';
export { DicomExportError } from './errors';
export { refuseNonDicom } from './source';

export const DEFAULT_SEGMENTATION_THRESHOLD = 0.5;
/** Candor as the implementation that wrote the files (File Meta Information). */
export const IMPLEMENTATION_CLASS_UID = nameUid('candor/implementation');

const SHORT_NAMES: Record<ObjectKind, string> = { 'parametric-map': 'pm', segmentation: 'seg', 'secondary-capture': 'sc', 'structured-report': 'sr' };

function fileStem(ctx: ObjectContext): string {
  return ctx.finding ? `candor-finding-${ctx.finding.seq}` : `candor-explanation-${ctx.explanation.id.slice(0, 8)}`;
}

function encode(ctx: ObjectContext, kind: ObjectKind, dataset: Dataset): DicomObject {
  const bytes = writePart10(dataset, {
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: `CANDOR_${ctx.appVersion}`.slice(0, 16),
    // 8-bit RGB and 1-bit pixels are bytes.
    vrMap: { PixelData: 'OB' },
  });
  return {
    kind,
    sopClassUid: dataset.SOPClassUID as string,
    sopInstanceUid: dataset.SOPInstanceUID as string,
    seriesInstanceUid: dataset.SeriesInstanceUID as string,
    studyInstanceUid: dataset.StudyInstanceUID as string,
    fileName: `${fileStem(ctx)}-${SHORT_NAMES[kind]}.dcm`,
    bytes,
  };
}

/** The map to write, or why there is none. */
function usableMap(input: FindingObjectsInput): { map: AttributionMap | null; note: string | null } {
  const image = input.explanation.image;
  if (!image) return { map: null, note: 'no image attribution map (the explanation is of the text only, or its map was flat): the report is written without map objects' };
  const { width, height, values } = image.map;
  if (values.length !== width * height) throw new DicomExportError(input.sourcePath, `the explanation's map holds ${values.length} values for ${width}×${height}`);
  for (const v of values) {
    if (!Number.isFinite(v)) return { map: null, note: 'the attribution map holds non-finite values: no map objects written' };
  }
  return { map: image.map, note: null };
}

function checkThreshold(t: number): number {
  if (!(t > 0 && t < 1)) throw new DicomExportError('segmentation threshold', `must be between 0 and 1 (exclusive), got ${t}`);
  return t;
}

/** The finding's objects in memory, the report last (it references the others). */
export async function buildFindingObjects(input: FindingObjectsInput): Promise<FindingObjects> {
  const threshold = input.options?.segmentationThreshold === undefined ? DEFAULT_SEGMENTATION_THRESHOLD : input.options.segmentationThreshold;
  if (threshold !== null) checkThreshold(threshold);
  const source = await openSource(input.sourcePath, input.explanation);
  const ctx = objectContext({ source, explanation: input.explanation, finding: input.finding, appVersion: input.appVersion });
  const notes: string[] = [];
  const objects: DicomObject[] = [];
  const { map, note } = usableMap(input);
  if (note) notes.push(note);
  if (map) {
    objects.push(encode(ctx, 'parametric-map', parametricMapDataset(ctx, map)));
    if (threshold !== null) {
      const seg = segmentationDataset(ctx, map, threshold);
      if (seg) objects.push(encode(ctx, 'segmentation', seg));
      else notes.push(`no pixel of the map reaches ${threshold}: no segmentation written`);
    }
    if (input.options?.secondaryCapture !== false) objects.push(encode(ctx, 'secondary-capture', secondaryCaptureDataset(ctx, map)));
  }
  objects.push(encode(ctx, 'structured-report', structuredReportDataset(ctx, objects)));
  return { objects, notes };
}

/** Writes the finding's objects into `outDir` (created if need be); returns the paths, in order. */
export async function writeFindingObjects(input: FindingObjectsInput, outDir: string): Promise<FindingObjects & { files: string[] }> {
  const built = await buildFindingObjects(input);
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  for (const o of built.objects) {
    const file = join(outDir, o.fileName);
    await writeFile(file, o.bytes);
    files.push(file);
  }
  return { ...built, files };
}

/** Where recorded findings come from: the audit store (structurally; this room reads no database). */
export interface RecordedFindings {
  getFinding(findingId: string): RecordedFinding;
  /** The Candor version that recorded the finding. */
  getFindingContext(findingId: string): { appVersion: string };
}

/**
 * Writes the objects of recorded findings, each with its scan found among `scanPaths` by
 * SHA-256 (as `audit export --pdf --scan` matches them). A finding whose scan is not given is
 * not written and is named in `skipped`.
 */
export async function writeRecordedFindings(
  store: RecordedFindings,
  findingIds: string[],
  scanPaths: string[],
  outDir: string,
  options?: FindingObjectsInput['options'],
): Promise<{ files: string[]; written: number; notes: string[]; skipped: string[] }> {
  if (!scanPaths.length) throw new DicomExportError(outDir, 'DICOM objects need the scan file(s) the findings were made on: give them with --scan FILE … (matched by SHA-256)');
  if (!findingIds.length) throw new DicomExportError(outDir, 'no finding matches the filters; nothing to write');
  const bySha = new Map<string, string>();
  for (const path of scanPaths) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      throw new DicomExportError(path, `cannot be read (${(err as Error).message})`);
    }
    bySha.set(createHash('sha256').update(bytes).digest('hex'), path);
  }
  const files: string[] = [];
  const notes: string[] = [];
  const skipped: string[] = [];
  let written = 0;
  for (const id of findingIds) {
    const { explanation, ...finding } = store.getFinding(id);
    const sourcePath = bySha.get(explanation.input.scanSha256);
    if (!sourcePath) {
      skipped.push(`finding entry #${finding.seq}: its scan (SHA-256 ${explanation.input.scanSha256.slice(0, 12)}…) is not among the --scan files`);
      continue;
    }
    const out = await writeFindingObjects({ explanation, finding, sourcePath, appVersion: store.getFindingContext(id).appVersion, options }, outDir);
    files.push(...out.files);
    written++;
    notes.push(...out.notes.map((n) => `finding entry #${finding.seq}: ${n}`));
  }
  if (!written) throw new DicomExportError(outDir, `nothing written: ${skipped.join('; ')}`);
  return { files, written, notes, skipped: skipped.map((s) => `not written: ${s}`) };
}
