/** PDF explanation reports, the same from the app, `candor explain --pdf` and `candor audit export --pdf`. */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
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

export async function writeFindingsPdf(
  store: AuditStore,
  findingIds: string[],
  opts: { outPath: string; loadScanImage?: ScanImageLoader; includeIdentifying?: boolean },
): Promise<{ path: string; bytes: number }> {
  const inputs = await pdfInputsFor(store, findingIds, { loadScanImage: opts.loadScanImage, includeIdentifying: opts.includeIdentifying ?? false });
  const pdf = await renderFindingsPdf(inputs);
  mkdirSync(dirname(opts.outPath), { recursive: true });
  writeFileSync(opts.outPath, pdf);
  return { path: opts.outPath, bytes: pdf.length };
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
