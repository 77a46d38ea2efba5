/** Hand-built explanations and finding inputs for the audit tests (the explain service is not needed). */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Explanation, Method } from '../../electron/api/contract';
import type { FindingInput } from '../../db/audit-store';

/** A signing key for tests that sign (the installation's key is tested in trust.test.ts). */
export const TEST_KEY = generateKeyPairSync('ed25519').privateKey;

export const MODEL_SHA = createHash('sha256').update('mini-clip model files').digest('hex');
export const REPORT = 'Right lower lobe opacity, no pleural effusion. Heart size ≥ normal → follow up.';

/** A map with one hot disc centred at (cx, cy) in map coordinates. */
export function hotDiscMap(width: number, height: number, cx: number, cy: number, r: number): Float32Array {
  const v = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - cx, y - cy);
      v[y * width + x] = d <= r ? 1 - 0.5 * (d / r) : 0.02 * ((x + y) % 3);
    }
  }
  return v;
}

function wordsOf(text: string): { text: string; start: number; end: number }[] {
  const out: { text: string; start: number; end: number }[] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}]+/gu)) out.push({ text: m[0], start: m.index!, end: m.index! + m[0].length });
  return out;
}

export function makeExplanation(opts: { id?: string; method?: Method; similarity?: number; mapSize?: number; text?: string; seed?: number } = {}): Explanation {
  const size = opts.mapSize ?? 16;
  const text = opts.text ?? REPORT;
  const seed = opts.seed ?? 1;
  const words = wordsOf(text).map((w, i) => {
    const raw = Math.sin(seed * 7 + i * 1.3);
    return { ...w, raw, normalized: (raw + 1) / 2 };
  });
  return {
    id: opts.id ?? `expl-${seed}`,
    method: opts.method ?? 'nib',
    params: { layer: 6, steps: 10, target: 'both', beta: 1e-3, lr: 0.5 },
    similarity: opts.similarity ?? 0.3127 + seed * 1e-4,
    model: { name: 'mini-clip', sha256: MODEL_SHA },
    input: { scanSha256: 'a'.repeat(64), frame: 1, text, textSha256: createHash('sha256').update(text).digest('hex') },
    provider: 'cpu',
    image: {
      grid: [4, 4],
      tokenScores: Array.from({ length: 16 }, (_, i) => (i * 0.37 + seed) % 1),
      map: { width: size, height: size, values: hotDiscMap(size, size, size * 0.7, size * 0.3, size * 0.2) },
    },
    text: {
      tokens: [
        { text: '<start>', start: null, end: null, raw: 0, normalized: 0, special: true },
        ...words.map((w) => ({ ...w, special: false })),
      ],
      words,
    },
    metrics: { deletionAuc: 0.21, insertionAuc: 0.74, pointingGame: 1, undefinedCorr: NaN },
    timings: { totalMs: 812.5, encodeMs: 120 },
    warnings: [],
  };
}

export function makeInput(opts: { reviewer?: string; seed?: number; method?: Method; study?: string | null; storeIdentifying?: boolean; mapSize?: number } = {}): FindingInput {
  const seed = opts.seed ?? 1;
  return {
    explanation: makeExplanation({ seed, method: opts.method, mapSize: opts.mapSize }),
    reviewer: opts.reviewer ?? 'dr.house',
    decision: (['agree', 'disagree', 'uncertain'] as const)[seed % 3],
    note: `note ${seed}: Ünïcode ≥ ok`,
    studyLabel: opts.study === undefined ? `study-${seed % 5}` : opts.study,
    scan: {
      sha256: createHash('sha256').update(`scan ${seed % 7}`).digest('hex'),
      fileName: `patient-smith-${seed}.dcm`,
      studyUid: `1.2.826.0.1.${seed % 5}`,
      seriesUid: `1.2.826.0.1.${seed % 5}.1`,
      instanceUid: `1.2.826.0.1.${seed % 5}.1.${seed}`,
      patientName: 'SMITH^JOHN',
      patientId: 'PID-0042',
    },
    appVersion: '0.1.0-test',
    storeIdentifying: opts.storeIdentifying ?? false,
  };
}

export function tempDir(prefix = 'candor-audit-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `fn` with a fresh temporary folder, removed afterwards (after the promise settles when `fn` is async). */
export function inTempDir<T>(fn: (dir: string) => T): T {
  const { dir, cleanup } = tempDir();
  let deferred = false;
  try {
    const result = fn(dir);
    if (result instanceof Promise) {
      deferred = true;
      return result.finally(cleanup) as T;
    }
    return result;
  } finally {
    if (!deferred) cleanup();
  }
}
