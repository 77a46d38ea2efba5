/**
 * The anchor a PDF report carries (db/anchors.ts): the log's event 1 hash, the chain head when
 * the report was printed, and each finding's own event and hash. In the document's metadata
 * (info key CandorAnchor, read back by `candor audit verify --anchor report.pdf`) and as one
 * line of text per finding, for the reader.
 */
import type { AuditStore } from '../../db/audit-store';
import { pdfAnchorText, type PdfAnchor } from '../../db/anchors';

export type { PdfAnchor };

/** The anchor for a report of these findings, from the log as it is now. */
export function reportAnchor(store: AuditStore, findings: { seq: number; eventHash: string }[]): PdfAnchor | null {
  const { firstHash } = store.identity();
  if (firstHash === null) return null;
  const head = store.head();
  return { firstHash, seq: head.seq, headHash: head.hash, entries: findings.map((f) => ({ seq: f.seq, hash: f.eventHash })) };
}

/** The line under a finding's event hash. */
export function anchorLine(anchor: PdfAnchor): string {
  return `Chain head when printed: #${anchor.seq} · ${anchor.headHash}`;
}

/** Puts the anchor into the document's information dictionary. */
export function setAnchorInfo(doc: PDFKit.PDFDocument, anchor: PdfAnchor | null | undefined): void {
  if (anchor) (doc.info as unknown as Record<string, string>).CandorAnchor = pdfAnchorText(anchor);
}
