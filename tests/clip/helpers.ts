import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import type { ScanImage } from '../../native-models/clip/preprocess';
import { FIXTURES } from '../shared-fixtures';

export const MINI = join(FIXTURES, 'models', 'mini-clip');
export const REF = join(FIXTURES, 'reference');

export interface RefBlock {
  similarity: number;
  image_embeds: number[];
  text_embeds: number[];
  image: { grid: [number, number]; patch_scores_raw: number[]; cls_score_raw: number; map_size: [number, number]; map: number[] };
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
  tokens: { id: number; token: string; special: boolean; start: number | null; end: number | null; text: string }[];
  tolerances: Record<string, number | null | string>;
  float32: RefBlock;
  float64: RefBlock;
}

export const CASES = ['case01', 'case02', 'case03', 'case04', 'case05', 'case06', 'case07', 'case08'];

export function readCase(name: string): RefCase {
  return JSON.parse(readFileSync(join(REF, `${name}.json`), 'utf8')) as RefCase;
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
