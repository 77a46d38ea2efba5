/**
 * The PDF explanation report: one section per finding, the same bytes from the app and the
 * CLI for the same inputs (creation date taken from the audit events, fonts embedded).
 */
import PDFDocument from 'pdfkit';
import { encode as encodePng } from 'fast-png';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordedFinding, WordScore } from '../api/contract';
import { viridis } from '../api/colormap';
import { colourBar, composeScanAndOverlay, type RgbImage } from './overlay';
import { UserInputError } from '../../native-models/errors';
import { anchorLine, setAnchorInfo, type PdfAnchor } from './anchor';

export interface PdfInput {
  finding: RecordedFinding;
  scanImage: { width: number; height: number; gray: Uint8Array /* windowed 8-bit, what the radiologist saw */ } | null;
  appVersion: string;
  identifying: { patientName?: string | null; patientId?: string | null } | null;
  /** The audit anchor (the same for every section of one report): see anchor.ts. */
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

const PAGE = { width: 595.28, height: 841.89, margin: 40 };
const CONTENT_W = PAGE.width - 2 * PAGE.margin;
const BOTTOM = PAGE.height - PAGE.margin - 14;

function png(img: RgbImage): Buffer {
  return Buffer.from(encodePng({ width: img.width, height: img.height, data: img.rgb, channels: 3, depth: 8 }));
}

function fmt(n: number, digits = 4): string {
  if (!Number.isFinite(n)) return String(n);
  if (n !== 0 && (Math.abs(n) < 1e-3 || Math.abs(n) >= 1e6)) return n.toExponential(3);
  return Number(n.toFixed(digits)).toString();
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

class Writer {
  y = PAGE.margin;
  constructor(readonly doc: PDFKit.PDFDocument) {}

  ensure(height: number): void {
    if (this.y + height > BOTTOM) {
      this.doc.addPage();
      this.y = PAGE.margin;
    }
  }

  line(text: string, opts: { size?: number; bold?: boolean; color?: string; gap?: number } = {}): void {
    const size = opts.size ?? 10;
    this.doc.font(opts.bold ? 'bold' : 'regular').fontSize(size).fillColor(opts.color ?? '#000000');
    const h = this.doc.heightOfString(text, { width: CONTENT_W });
    this.ensure(h);
    this.doc.text(text, PAGE.margin, this.y, { width: CONTENT_W });
    this.y += h + (opts.gap ?? 2);
  }

  heading(text: string): void {
    this.y += 4;
    this.ensure(30);
    this.line(text, { size: 11.5, bold: true, gap: 4 });
  }

  /** label: value pairs, two columns. */
  pairs(items: [string, string][], size = 9.5): void {
    const labelW = 130;
    for (const [label, value] of items) {
      this.doc.font('regular').fontSize(size);
      const valueH = this.doc.heightOfString(value, { width: CONTENT_W - labelW });
      const labelH = this.doc.font('bold').heightOfString(label, { width: labelW - 6 });
      const h = Math.max(valueH, labelH, size * 1.2);
      this.ensure(h);
      this.doc.font('bold').fillColor('#333333').text(label, PAGE.margin, this.y, { width: labelW - 6 });
      this.doc.font('regular').fillColor('#000000').text(value, PAGE.margin + labelW, this.y, { width: CONTENT_W - labelW });
      this.y += h + 2;
    }
  }
}

interface Chunk {
  text: string;
  start: number;
}

/** A run without spaces wider than the line (a URL, a hash) is cut into pieces that fit. */
function fitToLine(doc: PDFKit.PDFDocument, text: string, start: number): Chunk[] {
  if (doc.widthOfString(text) <= CONTENT_W) return [{ text, start }];
  const out: Chunk[] = [];
  let from = 0;
  for (let i = 1; i <= text.length; i++) {
    if (i === text.length || doc.widthOfString(text.slice(from, i + 1)) > CONTENT_W) {
      out.push({ text: text.slice(from, i), start: start + from });
      from = i;
    }
  }
  return out;
}

/** The report text, word by word, each word on a background shaded by its score (same colour map as the image). */
function shadedText(w: Writer, text: string, words: WordScore[]): void {
  const doc = w.doc;
  const size = 10.5;
  const lineH = size * 1.55;
  doc.font('regular').fontSize(size);
  const scoreAt = new Float64Array(text.length).fill(NaN);
  for (const word of words) {
    if (!Number.isInteger(word.start) || !Number.isInteger(word.end)) continue;
    for (let i = Math.max(0, word.start); i < Math.min(text.length, word.end); i++) scoreAt[i] = word.normalized;
  }
  const space = doc.widthOfString(' ');
  let x = PAGE.margin;
  w.ensure(lineH);
  const newLine = () => {
    x = PAGE.margin;
    w.y += lineH;
    w.ensure(lineH);
  };
  for (const paragraph of text.split('\n').reduce<Chunk[][]>((acc, line, i, all) => {
    const start = all.slice(0, i).reduce((s, l) => s + l.length + 1, 0);
    acc.push([...line.matchAll(/\S+/g)].flatMap((m) => fitToLine(doc, m[0], start + m.index!)));
    return acc;
  }, [])) {
    for (const chunk of paragraph) {
      const width = doc.widthOfString(chunk.text);
      if (x > PAGE.margin && x + width > PAGE.margin + CONTENT_W) newLine();
      // Shade runs of characters that share a score.
      let i = 0;
      while (i < chunk.text.length) {
        const s = scoreAt[chunk.start + i];
        let j = i + 1;
        while (j < chunk.text.length && Object.is(scoreAt[chunk.start + j], s)) j++;
        if (!Number.isNaN(s)) {
          const [r, g, b] = viridis(s);
          const x0 = x + doc.widthOfString(chunk.text.slice(0, i));
          const x1 = x + doc.widthOfString(chunk.text.slice(0, j));
          doc.save().fillOpacity(0.15 + 0.55 * Math.min(1, Math.max(0, s))).rect(x0, w.y - 1.5, x1 - x0, size * 1.3).fill([r, g, b]).restore();
        }
        i = j;
      }
      doc.fillColor('#000000').text(chunk.text, x, w.y, { lineBreak: false });
      x += width + space;
    }
    newLine();
  }
}

function section(w: Writer, p: PdfInput): void {
  const { doc } = w;
  const f = p.finding;
  const e = f.explanation;

  w.line('Candor — explanation report', { size: 17, bold: true, gap: 4 });
  w.line(`Candor ${p.appVersion} · model ${e.model.name} · provider ${e.provider}`, { size: 9.5, color: '#333333' });
  w.line(`Model SHA-256: ${e.model.sha256}`, { size: 8, color: '#333333' });
  w.line(`Audit event #${f.seq} · recorded ${f.time} (UTC) by ${f.reviewer}`, { size: 9.5 });
  w.line(`Event hash: ${f.eventHash}`, { size: 8 });
  if (p.anchor) w.line(anchorLine(p.anchor), { size: 8 });
  if (p.identifying) w.line(`Patient: ${p.identifying.patientName ?? '—'} · ID ${p.identifying.patientId ?? '—'}`, { size: 9.5, gap: 8 });
  else w.line('Patient: identifying fields withheld (not stored or not allowed)', { size: 9.5, color: '#333333', gap: 8 });

  // Scan and scan with overlay, side by side, colour bar under the overlay.
  const map = e.image?.map ?? null;
  const { scan, overlay } = composeScanAndOverlay(p.scanImage, map);
  const gap = 16;
  const boxW = (CONTENT_W - gap) / 2;
  const aspect = scan ? scan.height / scan.width : overlay ? overlay.height / overlay.width : 1;
  const boxH = Math.min(boxW * aspect, 210);
  const imgW = boxH / aspect;
  w.ensure(boxH + 50);
  const top = w.y;
  const leftX = PAGE.margin + (boxW - imgW) / 2;
  const rightX = PAGE.margin + boxW + gap + (boxW - imgW) / 2;
  doc.font('regular').fontSize(8.5).fillColor('#333333');
  if (scan) doc.image(png(scan), leftX, top, { width: imgW, height: boxH });
  else doc.rect(PAGE.margin, top, boxW, boxH).stroke('#999999').text('Scan image not available', PAGE.margin, top + boxH / 2, { width: boxW, align: 'center' });
  if (overlay) doc.image(png(overlay), rightX, top, { width: imgW, height: boxH });
  else doc.rect(PAGE.margin + boxW + gap, top, boxW, boxH).stroke('#999999').text('No image map (text-only explanation)', PAGE.margin + boxW + gap, top + boxH / 2, { width: boxW, align: 'center' });
  const capY = top + boxH + 4;
  doc.fillColor('#333333').fontSize(8.5);
  doc.text(`Scan as reviewed${p.scanImage ? ` (${p.scanImage.width}×${p.scanImage.height})` : ''}`, PAGE.margin, capY, { width: boxW, align: 'center' });
  if (overlay) {
    const barY = capY + 1;
    doc.image(png(colourBar(256, 8)), PAGE.margin + boxW + gap + 20, barY, { width: boxW - 40, height: 8 });
    doc.text('0', PAGE.margin + boxW + gap + 8, barY, { lineBreak: false });
    doc.text('1', PAGE.margin + 2 * boxW + gap - 16, barY, { lineBreak: false });
    doc.text(`Attribution (${e.method}, viridis) ${map!.width}×${map!.height}`, PAGE.margin + boxW + gap, barY + 11, { width: boxW, align: 'center' });
  }
  w.y = capY + 30;

  w.heading('Similarity');
  w.line(`Image–report similarity: ${fmt(e.similarity)}`, { size: 12 });

  w.heading('Report text (shaded by word attribution)');
  if (e.text && e.text.words.length) shadedText(w, e.input.text, e.text.words);
  else w.line(e.input.text, { size: 10.5 });

  w.heading('Method and parameters');
  w.pairs([
    ['Method', e.method],
    ...Object.keys(e.params).sort().map((k): [string, string] => [k, String(typeof e.params[k] === 'number' ? fmt(e.params[k] as number, 6) : e.params[k])]),
    ['Frame', String(e.input.frame)],
  ]);
  w.pairs([
    ['Scan SHA-256', e.input.scanSha256],
    ['Report SHA-256', e.input.textSha256],
  ], 8.5);

  w.heading('Faithfulness metrics');
  const metricKeys = Object.keys(e.metrics).sort();
  if (metricKeys.length) w.pairs(metricKeys.map((k) => [k, fmt(e.metrics[k])]));
  else w.line('None computed.', { size: 9.5 });
  const timingKeys = Object.keys(e.timings).sort();
  if (timingKeys.length) w.line(`Timings: ${timingKeys.map((k) => `${k} ${fmt(e.timings[k], 1)}`).join(', ')}`, { size: 8.5, color: '#333333' });
  if (e.warnings.length) w.line(`Warnings: ${e.warnings.join('; ')}`, { size: 9, color: '#8a1c00' });

  w.heading('Review');
  w.pairs([
    ['Reviewer', f.reviewer],
    ['Decision', f.decision],
    ['Note', f.note || '—'],
    ['Recorded (UTC)', f.time],
    ['Finding', f.findingId],
  ]);

}

/** One section per finding, starting on its own page; deterministic bytes for the same inputs. */
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
      Title: inputs.length === 1 ? `Candor explanation report — finding ${inputs[0].finding.findingId}` : `Candor explanation report — ${inputs.length} findings`,
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
  for (const p of inputs) {
    doc.addPage();
    const w = new Writer(doc);
    section(w, p);
  }
  // Footer on every page: which finding, page n of m.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    doc.page.margins.bottom = 0; // the footer sits in the margin; keep pdfkit from starting a new page
    doc.font('regular').fontSize(7.5).fillColor('#666666');
    doc.text(`Candor explanation report · page ${i + 1} of ${range.count}`, PAGE.margin, PAGE.height - PAGE.margin - 4, { width: CONTENT_W, align: 'center', lineBreak: false });
  }
  doc.end();
  return done;
}
