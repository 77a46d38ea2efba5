/** PDF explanation reports, the same from the app, `candor explain --pdf` and `candor audit export --pdf`. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOutputPath, type ProtectedPaths } from '../../db/file-guard';
import type { ScanSummary } from '../api/contract';
import type { AuditStore } from '../../db/audit-store';
import { pdfInputsFor, type ScanImage, type ScanImageLoader } from '../report/finding-report';
import { renderFindingsPdf } from '../report/pdf';
import { toDisplay8 } from '../imaging/index';
import type { ViewWindow } from './explanations';

/** The scan as the reviewer saw it under the explanation's window: 8-bit gray (colour averaged). */
export function windowedGray(summary: Pick<ScanSummary, 'width' | 'height' | 'channels' | 'invertedByDefault'>, pixels: Float32Array, window: ViewWindow | null): ScanImage {
  const { width, height } = summary;
  if (summary.channels === 3) {
    const gray = new Uint8Array(width * height);
    for (let i = 0; i < gray.length; i++) gray[i] = Math.round((pixels[3 * i]! + pixels[3 * i + 1]! + pixels[3 * i + 2]!) / 3);
    return { width, height, gray };
  }
  const voi = window ? { kind: 'window' as const, center: window.center, width: window.width } : { kind: 'window' as const, center: 127.5, width: 256 };
  return { width, height, gray: toDisplay8(pixels, voi, { invert: summary.invertedByDefault }) };
}

/**
 * Renders the findings' report and writes it to `outPath`, which checkOutputPath must accept (no
 * database, journal, key, trust store or anchor, symlinks followed). `exclusive`: never replace an
 * existing file (the reports folder), else the caller chose the path (a save dialog, the CLI).
 */
export async function writeFindingsPdf(
  store: AuditStore,
  findingIds: string[],
  opts: { outPath: string; guard: ProtectedPaths; exclusive?: boolean; loadScanImage?: ScanImageLoader; includeIdentifying?: boolean },
): Promise<{ path: string; bytes: number }> {
  const target = checkOutputPath(opts.outPath, opts.guard, 'the PDF report');
  const inputs = await pdfInputsFor(store, findingIds, { loadScanImage: opts.loadScanImage, includeIdentifying: opts.includeIdentifying ?? false });
  const pdf = await renderFindingsPdf(inputs);
  writeFileSync(target, pdf, { flag: opts.exclusive ? 'wx' : 'w' });
  return { path: target, bytes: pdf.length };
}

/** A name in `dir` that no file has yet: name.pdf, else name-2.pdf, name-3.pdf, … (the folder is made). */
export function freshReportPath(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const stem = name.replace(/\.pdf$/i, '');
  for (let i = 1; ; i++) {
    const file = join(dir, i === 1 ? `${stem}.pdf` : `${stem}-${i}.pdf`);
    if (!existsSync(file)) return file;
  }
}
