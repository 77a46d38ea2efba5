import { cpSync, chmodSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import type { ScanImage } from '../../native-models/clip/preprocess';
import { FIXTURES } from '../shared-fixtures';

export const MINI = join(FIXTURES, 'models', 'mini-clip');
export const REF = join(FIXTURES, 'reference');
/** Two more families (README there): BiomedCLIP-like (post-LN BERT text, WordPiece) and SigLIP-like (no CLS, MAP head, padded text). */
export const FAMILY_REF = join(FIXTURES, 'reference-families');
export const FAMILY_BUNDLES = { biomed: join(FIXTURES, 'models', 'biomed-mini'), siglip: join(FIXTURES, 'models', 'siglip-mini') } as const;
export type Family = keyof typeof FAMILY_BUNDLES;
export const FAMILY_CASES: Record<Family, string[]> = {
  biomed: ['biomed01', 'biomed02', 'biomed03', 'biomed04'],
  siglip: ['siglip01', 'siglip02', 'siglip03', 'siglip04'],
};

export interface RefBlock {
  similarity: number;
  image_embeds: number[];
  text_embeds: number[];
  image: { grid: [number, number]; patch_scores_raw: number[]; cls_score_raw: number | null; map_size: [number, number]; map: number[] };
  text: { token_scores_raw: number[]; token_scores: number[] };
  /** cos at x = h·i/n, i = 1..n, per tower. */
  debug: { vision_step_losses: number[]; text_step_losses: number[] };
}
export interface RefCase {
  case: string;
  image: string;
  pixels: { file: string };
  text: string;
  layer: number;
  steps: number;
  input_ids: number[];
  tokens: { id: number; token: string; special: boolean; start: number | null; end: number | null; text: string; pad?: boolean }[];
  tolerances: Record<string, number | null | string>;
  float32: RefBlock;
  float64: RefBlock;
  /** Family cases: the padding applied (SigLIP), the cut tensors the harness recorded. */
  text_padding?: { pad_to: number; pad_id: number; num_real_tokens: number; truncated: boolean } | null;
  vision_cls_token?: boolean;
}

export const CASES = ['case01', 'case02', 'case03', 'case04', 'case05', 'case06', 'case07', 'case08'];

export function readCase(name: string, dir = REF): RefCase {
  return JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as RefCase;
}

/** The cut tensors the fixture harness recorded in config.json → nib_reference (never read by the app). */
export function recordedCuts(bundle: string): { vision: string[]; text: string[] } {
  const r = (JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { nib_reference: Record<string, Record<string, string>> }).nib_reference;
  return { vision: Object.values(r.vision_layer_input_tensors), text: Object.values(r.text_layer_input_tensors) };
}

/**
 * A copy of a fixture bundle as a real export would be: config.json without the harness's
 * nib_reference record, no nib.json. The caller removes the folder.
 */
export function bundleWithoutRecord(src: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'candor-family-'));
  cpSync(src, dir, { recursive: true });
  const writable = (p: string): void => {
    chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644);
    if (statSync(p).isDirectory()) for (const f of readdirSync(p)) writable(join(p, f));
  };
  writable(dir);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  delete cfg.nib_reference;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg, null, 1));
  return dir;
}

export function readPng(file: string): ScanImage {
  const png = decode(readFileSync(file));
  const ch = png.channels;
  const n = png.width * png.height;
  if (ch === 1 || ch === 2) {
    const px = new Float32Array(n);
    for (let i = 0; i < n; i++) px[i] = png.data[i * ch];
    return { width: png.width, height: png.height, channels: 1, pixels: px, window: png.depth === 8 ? { center: 127.5, width: 256 } : null, invert: false };
  }
  const px = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) px[i * 3 + c] = png.data[i * ch + c];
  return { width: png.width, height: png.height, channels: 3, pixels: px, window: null, invert: false };
}

export function readPixelsBin(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
