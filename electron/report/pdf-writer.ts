/**
 * Laying text out on A4 pages with pdfkit: lines, headings, label/value tables, and the report
 * text shaded word by word. A block that does not fit starts a new page, which repeats a short
 * heading so a page read alone still says which finding it belongs to.
 */
import type { WordScore } from '../api/contract';
import { viridis } from '../api/colormap';

export const PAGE = { width: 595.28, height: 841.89, margin: 40 };
export const CONTENT_W = PAGE.width - 2 * PAGE.margin;
const BOTTOM = PAGE.height - PAGE.margin - 14;
export const GREY = '#444444';

export interface LineOptions {
  size?: number;
  bold?: boolean;
  color?: string;
  gap?: number;
  x?: number;
  width?: number;
}

export class Writer {
  y = PAGE.margin;
  /** Pages this writer started, the first included (pdfkit's buffered page indices). */
  readonly pages: number[] = [];

  constructor(
    readonly doc: PDFKit.PDFDocument,
    /** Written at the top of a page the finding runs onto. */
    private readonly continued: string,
  ) {
    this.newPage(false);
  }

  private newPage(continuation: boolean): void {
    this.doc.addPage();
    this.pages.push(this.doc.bufferedPageRange().start + this.doc.bufferedPageRange().count - 1);
    this.y = PAGE.margin;
    if (continuation) this.line(this.continued, { size: 9, bold: true, color: GREY, gap: 8 });
  }

  /** Room left on this page. */
  get left(): number {
    return BOTTOM - this.y;
  }

  ensure(height: number): void {
    if (this.y + height > BOTTOM) this.newPage(true);
  }

  font(opts: LineOptions): PDFKit.PDFDocument {
    return this.doc.font(opts.bold ? 'bold' : 'regular').fontSize(opts.size ?? 10).fillColor(opts.color ?? '#000000');
  }

  height(text: string, opts: LineOptions): number {
    return this.font(opts).heightOfString(text, { width: opts.width ?? CONTENT_W });
  }

  line(text: string, opts: LineOptions = {}): void {
    const h = this.height(text, opts);
    this.ensure(h);
    this.font(opts).text(text, opts.x ?? PAGE.margin, this.y, { width: opts.width ?? CONTENT_W });
    this.y += h + (opts.gap ?? 2);
  }

  heading(text: string): void {
    this.y += 4;
    this.ensure(32);
    this.line(text, { size: 11, bold: true, gap: 2 });
  }

  /**
   * Label and value in columns, `columns` pairs side by side; a note goes under the value, or beside
   * it when `valueW` narrows the value column. A row never splits over pages.
   */
  pairs(items: { label: string; value: string; note?: string | null }[], opts: { size?: number; columns?: number; labelW?: number; valueW?: number } = {}): void {
    const size = opts.size ?? 9;
    const noteSize = size - 1;
    const columns = opts.columns ?? 1;
    const colW = (CONTENT_W - (columns - 1) * 14) / columns;
    const labelW = opts.labelW ?? Math.min(150, colW * 0.5);
    const valueW = opts.valueW ?? colW - labelW;
    const beside = opts.valueW !== undefined;
    const noteW = beside ? colW - labelW - valueW : valueW;
    const layout = (it: (typeof items)[number]) => {
      const label = this.height(it.label, { size, bold: true, width: labelW - 6 });
      const value = this.height(it.value, { size, bold: beside, width: valueW - (beside ? 6 : 0) });
      const note = it.note ? this.height(it.note, { size: noteSize, width: noteW }) : 0;
      return { value, height: Math.max(label, beside ? Math.max(value, note) : value + note) };
    };
    for (let i = 0; i < items.length; i += columns) {
      const row = items.slice(i, i + columns);
      const sizes = row.map(layout);
      const h = Math.max(...sizes.map((r) => r.height));
      this.ensure(h);
      row.forEach((it, c) => {
        const x = PAGE.margin + c * (colW + 14);
        this.font({ size, bold: true, color: GREY }).text(it.label, x, this.y, { width: labelW - 6 });
        this.font({ size, bold: beside }).text(it.value, x + labelW, this.y, { width: valueW - (beside ? 6 : 0) });
        if (!it.note) return;
        const [nx, ny] = beside ? [x + labelW + valueW, this.y + 0.8] : [x + labelW, this.y + sizes[c]!.value];
        this.font({ size: noteSize, color: GREY }).text(it.note, nx, ny, { width: noteW });
      });
      this.y += h + 3;
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
export function shadedText(w: Writer, text: string, words: WordScore[]): void {
  const doc = w.doc;
  const size = 10;
  const lineH = size * 1.55;
  const scoreAt = new Float64Array(text.length).fill(NaN);
  for (const word of words) {
    if (!Number.isInteger(word.start) || !Number.isInteger(word.end)) continue;
    for (let i = Math.max(0, word.start); i < Math.min(text.length, word.end); i++) scoreAt[i] = word.normalized;
  }
  w.font({ size });
  const space = doc.widthOfString(' ');
  let x = PAGE.margin;
  const newLine = () => {
    x = PAGE.margin;
    w.y += lineH;
  };
  for (const paragraph of text.split('\n').reduce<Chunk[][]>((acc, line, i, all) => {
    const start = all.slice(0, i).reduce((s, l) => s + l.length + 1, 0);
    acc.push([...line.matchAll(/\S+/g)].flatMap((m) => fitToLine(doc, m[0], start + m.index!)));
    return acc;
  }, [])) {
    for (const chunk of paragraph) {
      const width = doc.widthOfString(chunk.text);
      if (x > PAGE.margin && x + width > PAGE.margin + CONTENT_W) newLine();
      if (x === PAGE.margin) {
        w.ensure(lineH);
        w.font({ size });
      }
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
