/** What the DICOM export takes and gives: the API the app, the CLI and the PACS push share. */
import type { Explanation } from '../../native-models/explain/types';
import type { RecordedFinding } from '../../db/types';

export const OBJECT_KINDS = ['parametric-map', 'segmentation', 'secondary-capture', 'structured-report'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export interface ExportOptions {
  /**
   * Also write a binary Segmentation of the map at or above this value (0 < t < 1); null writes
   * none. Default 0.5. Nothing at or above it: no Segmentation, and a note says so.
   */
  segmentationThreshold?: number | null;
  /** Also write the Secondary Capture with the overlay burned in (default true). */
  secondaryCapture?: boolean;
}

export interface FindingObjectsInput {
  explanation: Explanation;
  /** The finding that recorded the explanation; null when it was explained but not recorded (no decision, no note). */
  finding: Omit<RecordedFinding, 'explanation'> | null;
  /** The scan file the explanation was made on; it must be that file (same SHA-256) and DICOM. */
  sourcePath: string;
  /** The Candor version that made the explanation (Software Versions). */
  appVersion: string;
  options?: ExportOptions;
}

/** One written object, in memory: what a PACS push needs (STOW-RS body part, C-STORE data set). */
export interface DicomObject {
  kind: ObjectKind;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  /** A file name for it, unique within one finding's objects: `candor-<finding>-<kind>.dcm`. */
  fileName: string;
  /** The Part 10 file (Explicit VR Little Endian), ready to store or send. */
  bytes: Uint8Array;
}

export interface FindingObjects {
  /** Structured report last: it references the others. */
  objects: DicomObject[];
  /** Objects left out and why (no map to write, nothing above the threshold). */
  notes: string[];
}

/** What the app's "Save as DICOM" reports back: where it wrote, and what. */
export interface SavedDicom {
  folder: string;
  files: string[];
  objects: { kind: ObjectKind; fileName: string; sopClassUid: string; sopInstanceUid: string }[];
  notes: string[];
}
