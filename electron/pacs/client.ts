/**
 * The one interface both protocols implement (DICOMweb in dicomweb.ts, DIMSE in dimse.ts): the
 * callers (pull into the cache, push, the CLI, the services) never ask which one they hold.
 */
import type { CheckedQuery } from './query';
import type { InstanceFile } from './instance';
import type { PacsNode, SentInstance, StudyMatch, TransferProgress } from './types';

/** Every wait on a node is bounded: no answer for `idleMs` ends the request with a clear message. */
export interface Timeouts {
  /** Connecting, and the longest silence while a request or transfer runs. */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { idleMs: 20_000 };

/**
 * While we upload, the node may rightly say nothing: the wait for its answer grows by the time
 * the bytes take at this slowest rate we accept (1 MiB/s), so a large instance is not cut off.
 */
export const MIN_UPLOAD_BYTES_PER_MS = 2 ** 20 / 1000;

export function uploadAllowanceMs(timeouts: Timeouts, bytes: number): number {
  return timeouts.idleMs + Math.ceil(bytes / MIN_UPLOAD_BYTES_PER_MS);
}

export interface TransferOptions {
  signal?: AbortSignal;
  /** After each instance; a returned promise is awaited before the next one is asked for (or acknowledged, over DIMSE). */
  onProgress?: (p: TransferProgress) => void | Promise<void>;
  /** A push: each instance as soon as the node has stored it (what reached it is known even if the push then fails). */
  onStored?: (s: SentInstance) => void;
}

export interface StoreOutcome {
  sent: SentInstance[];
  failed: { file: string; sopInstanceUid: string; reason: string }[];
}

export interface PacsClient {
  readonly node: PacsNode;
  /** Checks that the node answers (C-ECHO; for DICOMweb a one-match QIDO). */
  echo(signal?: AbortSignal): Promise<void>;
  search(query: CheckedQuery, signal?: AbortSignal): Promise<StudyMatch[]>;
  /** Writes every instance of the study into `dir` (existing, empty); throws when the study is not there or the transfer breaks. */
  retrieve(studyUid: string, dir: string, opts: TransferOptions): Promise<{ files: string[]; bytes: number }>;
  /** Sends instances; the ones the node refused come back in `failed` with its reason (the others were sent). */
  store(instances: InstanceFile[], opts: TransferOptions): Promise<StoreOutcome>;
}
