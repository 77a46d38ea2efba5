/**
 * The one way to turn recorded findings into PdfInputs, used by the app's report service and
 * by `candor audit export --pdf`, so both produce the same bytes for the same findings.
 */
import type { AuditStore } from '../../db/audit-store';
import type { Explanation } from '../api/contract';
import type { PdfInput } from './pdf';
import { reportAnchor } from './anchor';

export type ScanImage = NonNullable<PdfInput['scanImage']>;

/** Gives the windowed 8-bit image the reviewer saw for a scan (by its SHA-256), or null if it cannot be found. */
export type ScanImageLoader = (scan: { sha256: string; fileName: string | null; frame: number; findingId: string; explanation: Explanation }) => Promise<ScanImage | null>;

export interface ReportOptions {
  loadScanImage?: ScanImageLoader;
  /** Show patient name and ID, when they were stored (the user allowed it at recording time). */
  includeIdentifying: boolean;
}

export async function pdfInputsFor(store: AuditStore, findingIds: string[], opts: ReportOptions): Promise<PdfInput[]> {
  const out: PdfInput[] = [];
  const findings = findingIds.map((id) => store.getFinding(id));
  // One anchor for the document: every finding's event and the chain head now.
  const anchor = reportAnchor(store, findings);
  for (const [i, id] of findingIds.entries()) {
    const finding = findings[i]!;
    const ctx = store.getFindingContext(id);
    const scanImage = opts.loadScanImage
      ? await opts.loadScanImage({ sha256: ctx.scan.sha256, fileName: ctx.scan.fileName, frame: finding.explanation.input.frame, findingId: id, explanation: finding.explanation })
      : null;
    const identifying = opts.includeIdentifying && ctx.storeIdentifying ? { patientName: ctx.scan.patientName, patientId: ctx.scan.patientId } : null;
    // The version that recorded the finding, not the one printing it: a reprint years later is the same report.
    out.push({ finding, scanImage, appVersion: ctx.appVersion, identifying, source: { study: ctx.studyLabel, fileName: ctx.scan.fileName }, anchor });
  }
  return out;
}
