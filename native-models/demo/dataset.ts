// Phantom–report datasets on disk for the Python trainer: raw little-endian arrays + JSON.
// Images are already windowed to 8 bits with the study's default window at model size: the same
// input the app builds at inference (window → gray → RGB → normalize; RGB and normalize in Python).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_WINDOW, FINDING_TYPES, renderPhantom, samplePhantom, windowTo8bit, type FindingType, type Side, type Zone } from './phantom';
import { writeReport } from './report-grammar';
import { CONTEXT_LENGTH } from './vocabulary';

export interface DatasetOptions {
  count: number;
  seedBase: number;
  size: number;
  /** Report wordings per phantom. */
  variants: number;
  padId: number;
  withMasks: boolean;
}

export interface DatasetFindingRecord {
  phantom: number;
  type: FindingType;
  side: Side | null;
  zone: Zone | null;
  /** Index into the masks array (withMasks only). */
  mask: number;
  /** Token span [start, end) of the finding's sentence in the first report variant's ids. */
  tokenStart: number;
  tokenEnd: number;
  sentence: string;
}

export interface DatasetMeta {
  count: number;
  size: number;
  variants: number;
  contextLength: number;
  seedBase: number;
  reports: string[];
  /** Bit order of types.u8. */
  findingTypes: readonly string[];
  /** One string key per phantom naming its content (type/side/zone set), for fair distractors. */
  contentKeys: string[];
  findings: DatasetFindingRecord[];
}

export function contentKey(findings: { type: string; side: string | null; zone: string | null }[]): string {
  return findings.map((f) => `${f.type}:${f.side ?? '-'}:${f.zone ?? '-'}`).sort().join('|') || 'normal';
}

export function writeDataset(dir: string, opts: DatasetOptions, encode: (text: string) => number[]): DatasetMeta {
  mkdirSync(dir, { recursive: true });
  const px = opts.size * opts.size;
  const images = new Uint8Array(opts.count * px);
  const ids = new Int32Array(opts.count * opts.variants * CONTEXT_LENGTH).fill(opts.padId);
  const masks: Uint8Array[] = [];
  // Bit k of a pixel is set where a finding of FINDING_TYPES[k] covers it: the trainer's dense
  // (per-patch) supervision, and small enough to write for every training phantom.
  const typeMap = new Uint8Array(opts.count * px);
  const meta: DatasetMeta = {
    count: opts.count,
    size: opts.size,
    variants: opts.variants,
    contextLength: CONTEXT_LENGTH,
    seedBase: opts.seedBase,
    reports: [],
    findingTypes: FINDING_TYPES,
    contentKeys: [],
    findings: [],
  };
  for (let i = 0; i < opts.count; i++) {
    const seed = opts.seedBase + i;
    const spec = samplePhantom(seed);
    const img = renderPhantom(spec, opts.size);
    images.set(windowTo8bit(img.pixels, DEFAULT_WINDOW), i * px);
    meta.contentKeys.push(contentKey(spec.findings));
    for (const f of img.findings) {
      const bit = 1 << FINDING_TYPES.indexOf(f.type);
      for (let p = 0; p < px; p++) if (f.mask[p]) typeMap[i * px + p] |= bit;
    }
    for (let k = 0; k < opts.variants; k++) {
      const report = writeReport(spec.findings, seed * 31 + k);
      const tokens = encode(report.text);
      ids.set(tokens, (i * opts.variants + k) * CONTEXT_LENGTH);
      if (k !== 0) continue;
      meta.reports.push(report.text);
      for (const s of report.sentences) {
        if (s.findingIndex === null) continue;
        const f = img.findings[s.findingIndex];
        // Token span of the sentence: count the tokens of the text before it and of the sentence.
        const before = encode(report.text.slice(0, s.start)).length - 1; // drops EOS, keeps BOS
        const inside = encode(s.text).length - 2;
        let mask = -1;
        if (opts.withMasks) {
          mask = masks.length;
          masks.push(f.mask);
        }
        meta.findings.push({
          phantom: i,
          type: f.type,
          side: f.side,
          zone: f.zone,
          mask,
          tokenStart: before,
          tokenEnd: before + inside,
          sentence: s.text,
        });
      }
    }
  }
  writeFileSync(join(dir, 'images.u8'), images);
  writeFileSync(join(dir, 'ids.i32'), new Uint8Array(ids.buffer));
  writeFileSync(join(dir, 'types.u8'), typeMap);
  if (opts.withMasks) {
    const all = new Uint8Array(masks.length * px);
    masks.forEach((m, j) => all.set(m, j * px));
    writeFileSync(join(dir, 'masks.u8'), all);
  }
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  return meta;
}
