/**
 * The PACS room's own types: a node, a study query and its matches, transfers and their outcome.
 * Pure data (no Node APIs), so the contract can compose them.
 */

/** How a node is written by the user: a DICOMweb root (http[s]://…) or dimse://AET@host:port, plus our side of DIMSE. */
export interface NodeConfig {
  url: string;
  /** Our own AE title for DIMSE (calling AE; the C-MOVE destination). */
  callingAet?: string;
  /** DIMSE retrieval: C-GET on the same association (default), or C-MOVE to a storage SCP we open on movePort. */
  retrieve?: 'get' | 'move';
  movePort?: number;
}

export type PacsNode =
  | { kind: 'dicomweb'; url: string; label: string }
  | {
      kind: 'dimse';
      calledAet: string;
      host: string;
      port: number;
      callingAet: string;
      retrieve: 'get' | 'move';
      movePort: number | null;
      label: string;
    };

/** A study search; every field optional, combined with AND (DICOM matching: `*` wildcards in names). */
export interface StudyQuery {
  patientId?: string;
  patientName?: string;
  /** DICOM date range: YYYYMMDD, YYYYMMDD-YYYYMMDD, YYYYMMDD- or -YYYYMMDD. */
  date?: string;
  modality?: string;
  accession?: string;
  studyUid?: string;
  /** At most this many matches (the node may return fewer). */
  limit?: number;
}

export interface StudyMatch {
  studyUid: string;
  patientId: string | null;
  patientName: string | null;
  studyDate: string | null;
  studyTime: string | null;
  accession: string | null;
  description: string | null;
  modalities: string[];
  series: number | null;
  instances: number | null;
}

export interface TransferProgress {
  /** Instances finished so far, and how many there are (null while unknown). */
  done: number;
  total: number | null;
  bytes: number;
}

export interface PullResult {
  node: string;
  studyUid: string;
  /** The study's folder in the local cache (complete: filled in a temporary folder, renamed on success). */
  dir: string;
  files: string[];
  /** The SOP Instance UIDs received, sorted (what the audit log records). */
  instances: string[];
  bytes: number;
}

export interface SentInstance {
  file: string;
  sopInstanceUid: string;
  studyUid: string;
}

export interface PushResult {
  node: string;
  sent: SentInstance[];
  /** Instances the node refused, with its reason; the others were stored. */
  failed: { file: string; sopInstanceUid: string; reason: string }[];
  bytes: number;
}
