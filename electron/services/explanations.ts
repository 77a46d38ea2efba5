/**
 * From a scan and a report to a recorded finding: the steps the app and the headless CLI
 * share, so `candor explain --db` records exactly what the workspace records.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Decision, Explanation, ReaderRegion, ScanSummary } from '../api/contract';
import type { ScanImage } from '../../native-models/clip/preprocess';
import type { ExplanationCore } from '../../native-models/explain/index';
import type { FindingInput } from '../../db/audit-store';

export interface ViewWindow {
  center: number;
  width: number;
}

/**
 * The window the model sees: the caller's, else the scan's first preset; a PNG or JPEG
 * without one is shown at its full bit depth (so an 8-bit PNG reaches the model unchanged);
 * a DICOM without one, over its value range.
 */
export function modelWindow(summary: Omit<ScanSummary, 'id'>, requested?: ViewWindow | null): ViewWindow | null {
  if (summary.channels === 3) return null;
  if (requested) return requested;
  const preset = summary.windows[0];
  if (preset) return { center: preset.center, width: preset.width };
  if (summary.format !== 'dicom') return { center: 2 ** (summary.bitsStored - 1), width: 2 ** summary.bitsStored };
  const width = Math.max(1, summary.valueRange.max - summary.valueRange.min);
  return { center: summary.valueRange.min + width / 2, width };
}

export function scanImageFor(summary: Omit<ScanSummary, 'id'>, pixels: Float32Array, window?: ViewWindow | null): ScanImage {
  return {
    width: summary.width,
    height: summary.height,
    channels: summary.channels,
    pixels,
    window: modelWindow(summary, window),
    // MONOCHROME1 is shown inverted; the model sees the conventional presentation too.
    invert: summary.channels === 1 && summary.invertedByDefault,
  };
}

/** Adds what identifies the input, and the window the model saw (a report redraws the scan with it). */
export function completeExplanation(core: ExplanationCore, summary: Omit<ScanSummary, 'id'>, frame: number, text: string, window: ViewWindow | null): Explanation {
  return {
    ...core,
    params: window ? { ...core.params, windowCenter: window.center, windowWidth: window.width } : core.params,
    id: randomUUID(),
    input: { scanSha256: summary.sha256, frame, text, textSha256: createHash('sha256').update(text, 'utf8').digest('hex') },
  };
}

export function findingInput(args: {
  explanation: Explanation;
  summary: Omit<ScanSummary, 'id'>;
  reviewer: string;
  decision: Decision;
  note: string;
  studyLabel: string | null;
  appVersion: string;
  storeIdentifying: boolean;
  region?: ReaderRegion | null;
}): FindingInput {
  const { summary } = args;
  return {
    explanation: args.explanation,
    reviewer: args.reviewer,
    decision: args.decision,
    note: args.note,
    studyLabel: args.studyLabel ?? summary.patient.studyDescription ?? summary.fileName,
    scan: {
      sha256: summary.sha256,
      fileName: summary.fileName,
      patientName: summary.patient.name,
      patientId: summary.patient.id,
    },
    appVersion: args.appVersion,
    storeIdentifying: args.storeIdentifying,
    region: args.region ?? null,
  };
}
