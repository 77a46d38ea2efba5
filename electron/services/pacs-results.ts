/**
 * The DICOM objects Candor sends back to the archive for a recorded finding, made in the scan's
 * own study: the attribution map (Parametric Map, Segmentation, Secondary Capture with the overlay
 * burned in) and the Structured Report (electron/dicom-export), then the PDF report as an
 * Encapsulated PDF. The panel's Send, `candor pacs push --finding` and the audit record of the
 * push take this list as it is.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditStore } from '../../db/audit-store';
import type { ProtectedPaths } from '../../db/file-guard';
import { writeFindingObjects } from '../dicom-export/index';
import { UserInputError } from '../../native-models/errors';
import type { ScanImageLoader } from '../report/finding-report';
import { encapsulatePdf, studyContextOf } from '../report/dicom-pdf';
import { writeFindingsPdf } from './report';

export interface ResultObjectsInput {
  store: AuditStore;
  findingId: string;
  /** The DICOM file the finding was made on (its study receives the objects). */
  scanFile: string;
  /** A folder for the objects (and the PDF they wrap). */
  outDir: string;
  loadScanImage?: ScanImageLoader;
  /** The files no output may replace (the database, keys, anchors). */
  guard: ProtectedPaths;
}

export async function findingResultFiles(input: ResultObjectsInput): Promise<string[]> {
  const { store, findingId, scanFile, outDir } = input;
  const finding = store.getFinding(findingId);
  const context = store.getFindingContext(findingId);
  const study = await studyContextOf(scanFile);
  if (context.scan.studyUid && context.scan.studyUid !== study.StudyInstanceUID) {
    throw new UserInputError(`${scanFile}: study ${study.StudyInstanceUID} is not the study of finding ${findingId} (${context.scan.studyUid})`);
  }
  await mkdir(outDir, { recursive: true });
  const objects = await writeFindingObjects({ explanation: finding.explanation, finding, sourcePath: scanFile, appVersion: context.appVersion }, outDir);
  const pdf = await writeFindingsPdf(store, [findingId], { outPath: join(outDir, `candor-report-${finding.seq}.pdf`), guard: input.guard, loadScanImage: input.loadScanImage });
  const report = encapsulatePdf(await readFile(pdf.path), study, `Candor explanation report, audit event ${finding.seq}`);
  const file = join(outDir, `${report.sopInstanceUid}.dcm`);
  await writeFile(file, report.bytes);
  return [...objects.files, file];
}
