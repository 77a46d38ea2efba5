/**
 * The PDF explanation report: one page per finding (finding-page.ts), the same bytes from the app
 * and the CLI for the same inputs (creation date taken from the audit events, fonts embedded).
 * Times are printed in UTC, as the app shows them.
 */
import PDFDocument from 'pdfkit';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordedFinding } from '../api/contract';
import { UserInputError } from '../../native-models/errors';
import { setAnchorInfo, type PdfAnchor } from './anchor';
import { findingPages } from './finding-page';
import { CONTENT_W, PAGE } from './pdf-writer';

export interface PdfInput {
  finding: RecordedFinding;
  scanImage: { width: number; height: number; gray: Uint8Array /* windowed 8-bit, what the radiologist saw */ } | null;
  appVersion: string;
  identifying: { patientName?: string | null; patientId?: string | null } | null;
  /** What the finding was recorded on: the study label the reviewer saw and the scan's file name. */
  source: { study: string | null; fileName: string | null };
  /** The audit anchor (the same for every finding of one report): see anchor.ts. */
  anchor?: PdfAnchor | null;
}

export class ReportError extends UserInputError {}

const FONT_FILES = { regular: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf' } as const;
let fontDirOverride: string | null = null;

/** Where the packaged app keeps the report fonts (electron-builder extraResources), if not beside this module. */
export function setReportFontDir(dir: string): void {
  fontDirOverride = resolve(dir);
}

function moduleFontDir(): string | null {
  try {
    // Empty under a CommonJS bundle; the other candidates cover that case.
    const url = (import.meta as { url?: string }).url;
    return url ? fileURLToPath(new URL('./fonts/', url)) : null;
  } catch {
    return null;
  }
}

/** The folder holding the bundled DejaVu fonts (shipped in electron/report/fonts, Bitstream Vera licence). */
export function reportFontDir(): string {
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  const candidates = [
    fontDirOverride,
    process.env.CANDOR_REPORT_FONT_DIR ?? null,
    moduleFontDir(),
    resourcesPath ? join(resourcesPath, 'fonts') : null,
    join(process.cwd(), 'electron', 'report', 'fonts'),
    '/usr/share/fonts/truetype/dejavu',
  ].filter((d): d is string => !!d);
  for (const dir of candidates) {
    if (existsSync(join(dir, FONT_FILES.regular)) && existsSync(join(dir, FONT_FILES.bold))) return dir;
  }
  throw new ReportError(`the report fonts (${FONT_FILES.regular}, ${FONT_FILES.bold}) were not found; looked in: ${candidates.join(', ')}`);
}

function validateInput(p: PdfInput, index: number): void {
  const f = p.finding;
  if (!f || !f.explanation) throw new ReportError(`report section ${index + 1}: the finding or its explanation is missing`);
  const img = p.scanImage;
  if (img) {
    if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width <= 0 || img.height <= 0) {
      throw new ReportError(`report section ${index + 1} (finding ${f.findingId}): the scan image size ${img.width}×${img.height} is not valid`);
    }
    if (img.gray.length !== img.width * img.height) {
      throw new ReportError(`report section ${index + 1} (finding ${f.findingId}): the scan image has ${img.gray.length} pixels, expected ${img.width}×${img.height}`);
    }
  }
  const map = f.explanation.image?.map;
  if (map && map.values.length !== map.width * map.height) {
    throw new ReportError(`report section ${index + 1} (finding ${f.findingId}): the map has ${map.values.length} values, expected ${map.width}×${map.height}`);
  }
}

/** The footer of every page: which audit entry it shows, page n of m, and the time zone of every time on it. */
function footers(doc: PDFKit.PDFDocument, entryOfPage: Map<number, number>): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    doc.page.margins.bottom = 0; // the footer sits in the margin; keep pdfkit from starting a new page
    doc.font('regular').fontSize(7.5).fillColor('#666666');
    const entry = entryOfPage.get(i);
    const line = `Candor explanation report${entry !== undefined ? ` · audit entry #${entry}` : ''} · page ${i + 1} of ${range.count} · all times UTC`;
    doc.text(line, PAGE.margin, PAGE.height - PAGE.margin - 4, { width: CONTENT_W, align: 'center', lineBreak: false });
  }
}

/** One page per finding (more only for a long report text); deterministic bytes for the same inputs. */
export async function renderFindingsPdf(inputs: PdfInput[]): Promise<Buffer> {
  if (!inputs.length) throw new ReportError('there is no finding to put in the report');
  inputs.forEach(validateInput);
  const fontDir = reportFontDir();
  const latest = inputs.map((p) => p.finding.time).sort().at(-1)!;
  const created = new Date(latest);
  if (Number.isNaN(created.getTime())) throw new ReportError(`finding ${inputs[0].finding.findingId}: its time '${latest}' is not a date`);
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    autoFirstPage: false,
    bufferPages: true,
    info: {
      Title: `Candor explanation report — audit ${inputs.length === 1 ? 'entry' : 'entries'} ${inputs.map((p) => `#${p.finding.seq}`).join(', ')}`,
      Author: [...new Set(inputs.map((p) => p.finding.reviewer))].join(', '),
      Creator: `Candor ${inputs[0].appVersion}`,
      Producer: 'Candor (pdfkit)',
      CreationDate: created,
      ModDate: created,
    },
  });
  setAnchorInfo(doc, inputs[0].anchor);
  doc.registerFont('regular', join(fontDir, FONT_FILES.regular));
  doc.registerFont('bold', join(fontDir, FONT_FILES.bold));
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolveDone, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolveDone(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const entryOfPage = new Map<number, number>();
  for (const p of inputs) {
    for (const page of findingPages(doc, p)) entryOfPage.set(page, p.finding.seq);
  }
  footers(doc, entryOfPage);
  doc.end();
  return done;
}
