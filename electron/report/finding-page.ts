/**
 * One recorded finding on one page, in the order an auditor checks it: which study and file, what
 * the reviewer decided and when, what the model was shown and drew, how it was made, how faithful
 * it is, and the hashes that tie it to the audit log. Every value has a readable label and its
 * unit (electron/api/readable.ts, shared with the app); only a long report text runs onto a
 * further page, which then repeats the entry number.
 */
import { encode as encodePng } from 'fast-png';
import { METHOD_SPECS, SIMILARITY_INFO, describeRegion, formatTime, formatValue, methodLabel, readableLocalisation, readableMetrics, readableParams, readableSanity, type MethodSpec, type ReaderRegion } from '../api/contract';
import { colourBar, composeScanAndOverlay, type RgbImage } from './overlay';
import { CONTENT_W, GREY, PAGE, Writer, shadedText } from './pdf-writer';
import type { PdfInput } from './pdf';

function png(img: RgbImage): Buffer {
  return Buffer.from(encodePng({ width: img.width, height: img.height, data: img.rgb, channels: 3, depth: 8 }));
}

/** The study as the reviewer labelled it, without the file name the app appends (shown on its own line). */
function studyName(label: string | null, fileName: string | null): string | null {
  if (!label) return null;
  const suffix = fileName ? ` · ${fileName}` : '';
  return suffix && label.endsWith(suffix) && label.length > suffix.length ? label.slice(0, -suffix.length) : label;
}

function header(w: Writer, p: PdfInput): void {
  const f = p.finding;
  const top = w.y;
  w.font({ size: 13, bold: true }).text(`Audit entry #${f.seq}`, PAGE.margin, top + 2, { width: CONTENT_W, align: 'right' });
  w.line('Candor — explanation report', { size: 15, bold: true, gap: 5, width: CONTENT_W - 130 });
  const study = studyName(p.source.study, p.source.fileName);
  w.line(`Study: ${study ?? 'not named when recorded'}`, { size: 10.5, bold: true });
  const file = p.source.fileName ?? 'name not stored (identifying fields not allowed)';
  const patient = p.identifying ? `${p.identifying.patientName ?? '—'} · ID ${p.identifying.patientId ?? '—'}` : 'withheld (not stored or not allowed)';
  w.line(`File: ${file} · frame ${f.explanation.input.frame} · patient: ${patient}`, { size: 9.5, gap: 6 });
}

/** The reviewer's decision, boxed, right under the header: it is never separated from its finding. */
function review(w: Writer, p: PdfInput): void {
  const f = p.finding;
  const pad = 6;
  const inner = { width: CONTENT_W - 2 * pad, x: PAGE.margin + pad };
  const lines = [
    { text: `Decision on the model’s explanation: ${f.decision}`, size: 12, bold: true },
    { text: `Reviewer: ${f.reviewer} · recorded ${formatTime(f.time)}`, size: 9.5, bold: false },
    { text: `Note: ${f.note.trim() || '—'}`, size: 9.5, bold: false },
  ];
  const h = lines.reduce((s, l) => s + w.height(l.text, { ...l, width: inner.width }) + 2, 0) + 2 * pad;
  w.ensure(h);
  w.doc.save().rect(PAGE.margin, w.y, CONTENT_W, h).fillAndStroke('#f1f3f5', '#9aa4b2').restore();
  w.y += pad;
  for (const l of lines) w.line(l.text, { ...l, ...inner });
  w.y += pad + 4;
}

/** The reader's region over an image of the scan drawn at (left, top), w × h points. */
function regionOutline(doc: PDFKit.PDFDocument, r: ReaderRegion, left: number, top: number, w: number, h: number): void {
  const sx = w / r.scan.width, sy = h / r.scan.height;
  doc.save().lineWidth(1.2).strokeColor('#00b8d4');
  const g = r.region;
  if (g.kind === 'box') doc.rect(left + g.x * sx, top + g.y * sy, g.width * sx, g.height * sy).stroke();
  else doc.polygon(...g.points.map(([x, y]) => [left + x * sx, top + y * sy] as [number, number])).stroke();
  doc.restore();
}

function images(w: Writer, p: PdfInput): void {
  const { doc } = w;
  const e = p.finding.explanation;
  const map = e.image?.map ?? null;
  const { scan, overlay } = composeScanAndOverlay(p.scanImage, map);
  const gap = 16;
  const boxW = (CONTENT_W - gap) / 2;
  const aspect = scan ? scan.height / scan.width : overlay ? overlay.height / overlay.width : 1;
  // The sanity section's lines come out of the pictures' height, so the finding stays on one page.
  const boxH = Math.min(boxW * aspect, e.sanity ? 92 : 140);
  const imgW = boxH / aspect;
  w.ensure(boxH + 34);
  const top = w.y;
  const rightBox = PAGE.margin + boxW + gap;
  w.font({ size: 8.5, color: GREY });
  if (scan) doc.image(png(scan), PAGE.margin + (boxW - imgW) / 2, top, { width: imgW, height: boxH });
  else doc.rect(PAGE.margin, top, boxW, boxH).stroke('#999999').text('Scan image not available (the file was not open)', PAGE.margin, top + boxH / 2, { width: boxW, align: 'center' });
  if (overlay) doc.image(png(overlay), rightBox + (boxW - imgW) / 2, top, { width: imgW, height: boxH });
  const region = p.finding.region;
  if (region) {
    if (scan) regionOutline(doc, region, PAGE.margin + (boxW - imgW) / 2, top, imgW, boxH);
    if (overlay) regionOutline(doc, region, rightBox + (boxW - imgW) / 2, top, imgW, boxH);
  }
  if (!overlay) doc.rect(rightBox, top, boxW, boxH).stroke('#999999').text('No image map (text-only explanation)', rightBox, top + boxH / 2, { width: boxW, align: 'center' });
  const capY = top + boxH + 4;
  w.font({ size: 8.5, color: GREY });
  doc.text(`Scan as reviewed${p.scanImage ? ` (${p.scanImage.width}×${p.scanImage.height} px)` : ''}`, PAGE.margin, capY, { width: boxW, align: 'center' });
  if (overlay && map) {
    doc.image(png(colourBar(256, 8)), rightBox + 20, capY + 1, { width: boxW - 40, height: 8 });
    doc.text('0', rightBox + 8, capY + 1, { lineBreak: false });
    doc.text('1', rightBox + boxW - 16, capY + 1, { lineBreak: false });
    doc.text(`${methodLabel(e.method)} attribution, 0 = none to 1 = most (map ${map.width}×${map.height})`, rightBox, capY + 12, { width: boxW, align: 'center' });
  }
  w.y = capY + 30;
}

function explained(w: Writer, p: PdfInput): void {
  const e = p.finding.explanation;
  w.line(`${SIMILARITY_INFO.label}: ${formatValue(e.similarity, 4)}`, { size: 11, bold: true, gap: 0 });
  w.line(`(${SIMILARITY_INFO.scale})`, { size: 8.5, color: GREY, gap: 2 });
  w.heading('Report text, each word shaded by its attribution (0–1, same colours)');
  if (e.text && e.text.words.length) shadedText(w, e.input.text, e.text.words);
  else w.line(e.input.text, { size: 10 });
}

function method(w: Writer, p: PdfInput): void {
  const e = p.finding.explanation;
  const spec = (METHOD_SPECS as Record<string, MethodSpec | undefined>)[e.method];
  w.heading(`Method: ${methodLabel(e.method)}`);
  if (spec) w.line(spec.summary, { size: 8.5, color: GREY, gap: 4 });
  w.pairs(readableParams(e), { columns: 2, size: 8.5, labelW: 118 });
}

function metrics(w: Writer, p: PdfInput): void {
  const e = p.finding.explanation;
  w.heading('Faithfulness: does the highlighted evidence carry the similarity?');
  const lines = readableMetrics(e.metrics);
  if (lines.length === 0) w.line('No metrics were computed for this explanation.', { size: 9 });
  w.pairs(lines.map((m) => ({ label: m.label, value: m.value, note: m.note && `(${m.note})` })), { size: 8.5, labelW: 225, valueW: 40 });
  if (e.warnings.length) w.line(`Warnings: ${e.warnings.join('; ')}`, { size: 9, color: '#8a1c00' });
}

function readerRegion(w: Writer, p: PdfInput): void {
  const r = p.finding.region;
  if (!r) return;
  w.heading('Localisation: does the map point at the reader’s region?');
  w.line(`Reader’s region (outlined on the images): ${describeRegion(r.region)} on the ${r.scan.width}×${r.scan.height} px scan`, { size: 9, gap: 2 });
  w.pairs(readableLocalisation(r.metrics).map((m) => ({ label: m.label, value: m.value, note: m.note && `(${m.note})` })), { size: 8.5, labelW: 225, valueW: 40 });
}

/** The model-parameter randomisation check, when it was run (older records have none). */
function sanity(w: Writer, p: PdfInput): void {
  const { lines, rule } = readableSanity(p.finding.explanation.sanity);
  if (lines.length === 0) return;
  w.heading('Sanity check: does the map depend on the model’s learned weights? (MPRT)');
  w.pairs(lines, { size: 8.5, labelW: 118 });
  w.line(rule, { size: 7.5, color: GREY, gap: 3 });
}

function provenance(w: Writer, p: PdfInput): void {
  const f = p.finding;
  const e = f.explanation;
  const runTime = e.timings.totalMs !== undefined ? ` · ran ${Math.round(e.timings.totalMs)} ms` : '';
  w.heading('Provenance');
  w.pairs([
    { label: 'Recorded with', value: `Candor ${p.appVersion} · model ${e.model.name} · on ${e.provider}${runTime}` },
    { label: 'Model SHA-256', value: e.model.sha256 },
    { label: 'Scan SHA-256', value: e.input.scanSha256 },
    { label: 'Report text SHA-256', value: e.input.textSha256 },
    { label: 'Audit event hash', value: f.eventHash },
    { label: 'Finding ID', value: f.findingId },
    ...(p.anchor ? [{ label: 'Chain head printed', value: `#${p.anchor.seq} · ${p.anchor.headHash}` }] : []),
  ], { size: 7.5, labelW: 95 });
}

/** Lays out one finding from a fresh page; returns the pages it took (normally one). */
export function findingPages(doc: PDFKit.PDFDocument, p: PdfInput): number[] {
  const w = new Writer(doc, `Audit entry #${p.finding.seq} (continued)`);
  header(w, p);
  review(w, p);
  images(w, p);
  explained(w, p);
  method(w, p);
  metrics(w, p);
  readerRegion(w, p);
  sanity(w, p);
  provenance(w, p);
  return w.pages;
}
