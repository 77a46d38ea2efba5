/**
 * "Save as DICOM": a recorded finding's objects (electron/dicom-export) written into the app's
 * exports folder, one folder per finding. The folder is the service's choice, never a path from
 * the renderer; the scan must be open in this session (the log keeps its hash, not its file).
 */
import { join } from 'node:path';
import type { SavedDicom } from '../api/contract';
import type { AuditStore } from '../../db/audit-store';
import { NotFoundError } from '../../native-models/errors';
import { writeFindingObjects } from '../dicom-export/index';
import type { ScanRegistry } from './scans';

export async function saveFindingDicom(store: AuditStore, scans: ScanRegistry, findingId: string, exportsDir: string): Promise<SavedDicom> {
  const { explanation, ...finding } = store.getFinding(findingId);
  const scan = scans.findBySha256(explanation.input.scanSha256);
  if (!scan) {
    throw new NotFoundError(`the scan of finding #${finding.seq} is not open in this session (the audit log keeps its SHA-256, not the file); open it again, then save the DICOM objects`);
  }
  const folder = join(exportsDir, 'dicom', `candor-finding-${finding.seq}`);
  const out = await writeFindingObjects({ explanation, finding, sourcePath: scan.path, appVersion: store.getFindingContext(findingId).appVersion }, folder);
  return {
    folder,
    files: out.files,
    objects: out.objects.map((o) => ({ kind: o.kind, fileName: o.fileName, sopClassUid: o.sopClassUid, sopInstanceUid: o.sopInstanceUid })),
    notes: out.notes,
  };
}
