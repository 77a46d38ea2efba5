/** Runs fuzz cases against the imaging entry point and sorts the outcomes. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { encode as encodePng } from 'fast-png';
import { ImagingError, openScanBytes } from '../../electron/imaging/index';
import { makeSeed, mutate, Rng, type Mutation, type Seed } from './mutate';

export interface CaseResult {
  index: number;
  seed: string;
  mutation: Mutation;
  /** timeout: a codec exceeded the per-frame time limit and was stopped (a clear error, bounded time). */
  outcome: 'decoded' | 'refused' | 'timeout' | 'failed';
  ms: number;
  detail?: string;
}

/** Errors that mean the decoder itself broke rather than refusing bad input. */
const BROKEN = /exited unexpectedly|decoder stopped/;
const TIMED_OUT = /took longer than/;

export async function runCase(name: string, bytes: Uint8Array): Promise<{ outcome: CaseResult['outcome']; detail?: string }> {
  try {
    const scan = await openScanBytes(name, bytes);
    const { frames } = scan.summary;
    await scan.storedFrame(1);
    if (frames > 1) await scan.storedFrame(frames);
    const values = await scan.frame(1);
    if (values.length !== scan.summary.width * scan.summary.height * scan.summary.channels) {
      return { outcome: 'failed', detail: `frame(1) has ${values.length} values for ${scan.summary.width}x${scan.summary.height}x${scan.summary.channels}` };
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) return { outcome: 'failed', detail: `frame(1) holds a non-finite value at ${i}` };
    }
    scan.tags();
    return { outcome: 'decoded' };
  } catch (err) {
    if (err instanceof ImagingError) {
      if (BROKEN.test(err.reason)) return { outcome: 'failed', detail: err.message };
      if (TIMED_OUT.test(err.reason)) return { outcome: 'timeout', detail: err.message };
      if (!err.message.includes(name) || err.reason.trim() === '') return { outcome: 'failed', detail: `unclear error: ${err.message}` };
      return { outcome: 'refused', detail: err.reason };
    }
    return { outcome: 'failed', detail: `crash: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` };
  }
}

export interface SeedOptions {
  /** Leave out seeds larger than this many bytes. */
  maxBytes?: number;
}

export function loadSeeds(dicomDir: string, options: SeedOptions = {}): Seed[] {
  const manifest = JSON.parse(readFileSync(join(dicomDir, 'manifest.json'), 'utf8')) as {
    files: { file: string; kind: string; transfer_syntax?: { uid: string }; bits_stored?: number }[];
  };
  const seeds: Seed[] = [];
  for (const f of manifest.files) {
    if (f.kind !== 'valid') continue;
    const bytes = new Uint8Array(readFileSync(join(dicomDir, f.file)));
    if (options.maxBytes && bytes.length > options.maxBytes) continue;
    seeds.push(makeSeed(f.file, bytes));
  }
  // PNG seeds (8/16-bit, gray/RGB) and a JFIF stream taken from the corpus.
  const rng = new Rng(7);
  for (const [depth, channels] of [[8, 1], [16, 1], [8, 3], [16, 4]] as const) {
    const n = 24 * 17 * channels;
    const data = depth === 8 ? Uint8Array.from({ length: n }, () => rng.int(256)) : Uint16Array.from({ length: n }, () => rng.int(65536));
    seeds.push(makeSeed(`seed_${depth}_${channels}.png`, encodePng({ width: 24, height: 17, data, depth, channels })));
  }
  if (readdirSync(dicomDir).includes('us8_jpeg_img2dcm.dcm')) {
    const ds = dicomParser.parseDicom(readFileSync(join(dicomDir, 'us8_jpeg_img2dcm.dcm')));
    const el = ds.elements.x7fe00010!;
    seeds.push(makeSeed('seed.jpg', new Uint8Array(dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, el.fragments!.length))));
  }
  return seeds;
}

export async function fuzz(seeds: Seed[], count: number, startSeed: number, onCase?: (r: CaseResult) => void): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (let i = 0; i < count; i++) {
    const rng = new Rng(startSeed + i * 7919);
    const seed = seeds[i % seeds.length]!;
    const { bytes, mutation } = mutate(seed, rng);
    const t0 = performance.now();
    const r = await runCase(seed.name, bytes);
    const result: CaseResult = { index: i, seed: seed.name, mutation, ms: performance.now() - t0, ...r };
    results.push(result);
    onCase?.(result);
  }
  return results;
}
