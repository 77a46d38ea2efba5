/** PDF explanation reports, the same from the app, `candor explain --pdf` and `candor audit export --pdf`. */
import { createHash } from 'node:crypto';
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

/** Runs of consecutive numbers: [3, 4, 5, 9] → "3-5_9". */
function runsOf(sorted: number[]): string[] {
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    runs.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return runs;
}

/**
 * The report's file name, from the audit entry numbers it holds (`candor-report-entry-12.pdf`,
 * `candor-report-entries-12-14.pdf`, `…-entries-3_7-9.pdf`): the same entries give the same name
 * in every session, other entries another. Past a few runs the list is summarized and a hash of it
 * keeps the name apart from any other list.
 */
export function reportFileName(seqs: readonly number[]): string {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  if (sorted.length === 0) throw new Error('a report needs at least one audit entry');
  if (sorted.length === 1) return `candor-report-entry-${sorted[0]}.pdf`;
  const runs = runsOf(sorted);
  if (runs.length <= 4) return `candor-report-entries-${runs.join('_')}.pdf`;
  const digest = createHash('sha256').update(sorted.join(',')).digest('hex').slice(0, 8);
  return `candor-report-${sorted.length}-entries-${sorted[0]}-to-${sorted.at(-1)}-${digest}.pdf`;
}
