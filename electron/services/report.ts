/** PDF explanation reports, the same from the app, `candor explain --pdf` and `candor audit export --pdf`. */
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
