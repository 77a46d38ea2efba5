/**
 * Shared by the DICOM export tests: a real explanation of a demo study by the demo model,
 * recorded in a real audit database, and the independent readers the written objects are
 * checked with (dicom3tools' dciodvfy, DCMTK's dcmdump and dsrdump).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { AuditStore } from '../../db/audit-store';
import type { Explanation, RecordedFinding } from '../../electron/api/contract';
import type { ReaderRegion } from '../../db/types';
import { scanImageFromFile } from '../../electron/cli/commands/explain';
import { completeExplanation, findingInput } from '../../electron/services/explanations';
import { loadClipBundle } from '../../native-models/clip/bundle';
import { explain } from '../../native-models/explain/index';

export const DEMO_BUNDLE = fileURLToPath(new URL('../../native-models/demo/bundle', import.meta.url));
export const DEMO_STUDIES = fileURLToPath(new URL('../../native-models/demo/studies', import.meta.url));
export const DEMO_SCAN = join(DEMO_STUDIES, 'demo-01.dcm');
export const DEMO_SENTENCE = 'Solitary nodule in the right upper zone.';

/** The demo model's explanation of a sentence on a demo scan, exactly as `candor explain` makes it, and the model's SHA-256 as the loader computes it. */
export async function demoExplanation(scanPath = DEMO_SCAN, text = DEMO_SENTENCE, target: 'image' | 'text' | 'both' = 'both'): Promise<{ explanation: Explanation; modelSha256: string }> {
  const { image, summary } = await scanImageFromFile(scanPath, 1, null);
  const bundle = await loadClipBundle(DEMO_BUNDLE, { prefer: 'cpu' });
  try {
    const core = await explain(bundle, image, text, { method: 'nib', target });
    return { explanation: completeExplanation(core, summary, 1, text, image.window), modelSha256: bundle.sha256 };
  } finally {
    await bundle.dispose();
  }
}

/** Records the explanation as a finding in a real audit database at `dbPath`. */
export async function recordDemoFinding(dbPath: string, explanation: Explanation, scanPath = DEMO_SCAN, region: ReaderRegion | null = null): Promise<RecordedFinding> {
  const { summary } = await scanImageFromFile(scanPath, 1, null);
  const store = AuditStore.open(dbPath);
  try {
    return store.recordFinding(findingInput({ explanation, summary, reviewer: 'Dr Ann Smith', decision: 'agree', note: 'The map sits on the nodule.', studyLabel: null, appVersion: 'test', storeIdentifying: false, region }));
  } finally {
    store.close();
  }
}

/**
 * dciodvfy's findings that remain, each accepted for a stated reason:
 * - `99CANDOR` is Candor's private coding scheme (PS3.16 8.2), declared in the Coding Scheme
 *   Identification Sequence; dciodvfy lists only the standard designators.
 * - `QUANTITY` (value 4 of a Parametric Map's Image/Frame Type) is a Derived Pixel Contrast
 *   term newer than this dicom3tools build (highdicom writes it as the default for maps).
 * - An empty Laterality, where the source names neither body part nor laterality: empty is
 *   DICOM's "unknown", and Parametric Map and Secondary Capture must carry the attribute then.
 */
export const ACCEPTED_WARNINGS: RegExp[] = [
  /^Warning - is only permitted to be empty when actually unknown; should be absent \(not empty\) if an unpaired body part, and have a value if a paired body part - attribute <Laterality>$/,
  /^Warning - Unrecognized defined term <99CANDOR> for value 1 of attribute <Coding Scheme Designator>$/,
  /^Warning - Unrecognized defined term <QUANTITY> for value 4 of attribute <(Image|Frame) Type>$/,
];

export interface Validation {
  iod: string;
  errors: string[];
  warnings: string[];
}

export function dciodvfy(file: string): Validation {
  const res = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  const lines = `${res.stdout}${res.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return {
    iod: lines.find((l) => !l.startsWith('Error') && !l.startsWith('Warning')) ?? '',
    errors: lines.filter((l) => l.startsWith('Error')),
    warnings: lines.filter((l) => l.startsWith('Warning')),
  };
}

/** Asserts dciodvfy finds no error and only the accepted warnings; returns the IOD it recognised. */
export function assertValid(file: string): Validation {
  const v = dciodvfy(file);
  assert.deepEqual(v.errors, [], `${file}: dciodvfy errors`);
  assert.deepEqual(v.warnings.filter((w) => !ACCEPTED_WARNINGS.some((r) => r.test(w))), [], `${file}: unexpected dciodvfy warnings`);
  return v;
}

/** DCMTK's dump of the file, every value in full. */
export function dcmdump(file: string): string {
  return execFileSync('dcmdump', ['+L', '-Un', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
}

/** Every value of an attribute in a dump, at any depth (e.g. tag '0008,1155'). */
export function dumpValues(dump: string, tag: string): string[] {
  const re = new RegExp(`^\\s*\\(${tag}\\) \\w\\w \\[([^\\]]*)\\]`, 'gm');
  return [...dump.matchAll(re)].map((m) => m[1]!);
}

/** The value of a top-level attribute (not inside a sequence) in a dump. */
export function topValue(dump: string, tag: string): string | undefined {
  return new RegExp(`^\\(${tag}\\) \\w\\w \\[([^\\]]*)\\]`, 'm').exec(dump)?.[1];
}
