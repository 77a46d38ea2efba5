/**
 * What the audit room produces: recorded findings, the rows of the audit list, the chain's status.
 * Pure types and constants, shared with the API contract and the renderer.
 */
import type { Explanation, LocalisationMetrics, Region } from '../native-models/explain/types';

export const DECISIONS = ['agree', 'disagree', 'uncertain'] as const;

/** The most points a recorded outline may have (a freehand stroke is thinned to fewer). */
export const MAX_OUTLINE_POINTS = 2000;
export type Decision = (typeof DECISIONS)[number];

export interface AuditRow {
  seq: number;
  time: string;
  actor: string;
  action: string;
  findingId: string | null;
  study: string | null;
  model: string | null;
  modelSha256: string | null;
  method: string | null;
  similarity: number | null;
  decision: Decision | null;
  eventHash: string;
}

/**
 * The region the reader marked on the scan when recording, and how the recorded explanation's map
 * agrees with it (computed by the main process when the finding was recorded).
 */
export interface ReaderRegion {
  region: Region;
  /** The scan the region was drawn on, in pixels (its coordinates are this scan's). */
  scan: { width: number; height: number };
  metrics: LocalisationMetrics;
}

export interface RecordedFinding {
  findingId: string;
  seq: number;
  eventHash: string;
  time: string;
  reviewer: string;
  decision: Decision;
  note: string;
  explanation: Explanation;
  /** Absent when no region was marked (and on every finding recorded before regions existed). */
  region?: ReaderRegion;
}

export interface ChainStatus {
  ok: boolean;
  events: number;
  firstBroken: number | null;
  reason: string | null;
}

/** A run of event sequence numbers, both ends included. */
export interface SeqRange {
  from: number;
  to: number;
}

/**
 * Why the evidence does not hold. The chain's own codes (edited … corrupt, see chain.ts), then:
 * untrusted-key: a checkpoint or head signature made with a key that is not pinned;
 * bad-signature: a signature by a pinned key that does not verify;
 * rewritten: an event no longer has the hash a signature or an anchor remembers;
 * truncated: events a signature or an anchor names are gone (the missing range is given);
 * other-log: an anchor taken from another log (or this log rewritten from event 1, or replaced at its path).
 */
export type EvidenceBreakCode = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'payload' | 'corrupt' | 'untrusted-key' | 'bad-signature' | 'rewritten' | 'truncated' | 'other-log';

export interface EvidenceBreak {
  code: EvidenceBreakCode;
  /** The first event concerned, when one can be named. */
  seq: number | null;
  /** The events that are gone (truncated), when known. */
  missing: SeqRange | null;
  reason: string;
}

/** One key that signed checkpoints or chain heads in this log. */
export interface SignerSummary {
  /** SHA-256 of the public key (DER SubjectPublicKeyInfo), hex. */
  fingerprint: string;
  /** Its label in the trust store, or null for a key that is not pinned. */
  label: string | null;
  trusted: boolean;
  /** Head signatures and checkpoint events made with it. */
  signatures: number;
  /** The newest event it signed. */
  latestSeq: number;
  /** How far its signatures vouch for the chain: 0 unless trusted and valid. */
  coversTo: number;
}

/** One anchor checked against the log. */
export interface AnchorCheck {
  /** The file (or the name given with its bytes); anchors-folder files by their path. */
  source: string;
  kind: 'checkpoint' | 'pdf';
  /** The chain head the anchor remembers. */
  seq: number;
  /** The finding events a PDF report shows. */
  entries: number[];
  signedBy: { fingerprint: string; trusted: boolean } | null;
  /** Found in the installation's anchors folder rather than given. */
  local: boolean;
  ok: boolean;
  problem: EvidenceBreak | null;
}

export interface Coverage {
  /** Events in the log (the chain head's seq). */
  events: number;
  /** Events vouched for by a trusted signature or a matching anchor (always from 1), null: none. */
  covered: SeqRange | null;
  /** The newest events nothing vouches for, null: none. */
  uncovered: SeqRange | null;
  /** How far trusted signatures reach; how far matching anchors reach (0: not at all). */
  bySignature: number;
  byAnchor: number;
}

/**
 * verified: chain intact, every event covered, protections in place;
 * broken: a chain break, an untrusted or invalid signature, or an anchor the file no longer matches;
 * uncovered: intact, but the newest events have no trusted signature or anchor;
 * unprotected: intact and covered, but the file's append-only triggers were removed.
 */
export type Verdict = 'verified' | 'broken' | 'uncovered' | 'unprotected';

/** What verify found, in full: the chain, who signed it, the anchors, what is covered. `ok`: nothing is broken. */
export interface VerifyReport extends ChainStatus {
  verdict: Verdict;
  reasonCode: EvidenceBreakCode | null;
  /** Every break found, the chain's first. */
  breaks: EvidenceBreak[];
  missingProtections: string[];
  checkpoints: number;
  signers: SignerSummary[];
  anchors: AnchorCheck[];
  coverage: Coverage;
  /** Which keys were trusted: the trust store's file, or the key files given. */
  trustSource: string;
  /** Anchors-folder files that could not be read (named, not fatal). */
  unreadableAnchors: string[];
  /** The file was read through a private copy (read-only medium); it was not written. */
  readOnlyCopy: boolean;
  /** PRAGMA integrity_check findings, when asked for (empty: sound). */
  integrity?: string[];
  /** One line in plain words. */
  summary: string;
}

/** An anchor handed to audit:verify: a file the user chose or dropped, or its bytes. */
export type AnchorInput = { path: string } | { name: string; bytes: Uint8Array };

export type ReplayPart = 'similarity' | 'imageTokens' | 'textTokens' | 'map';

export interface ReplayPartResult {
  part: ReplayPart;
  /** Values compared (0: the record has none of this part). */
  compared: number;
  maxAbsDiff: number;
  /** The largest difference accepted for this part. */
  tolerance: number;
  within: boolean;
  note: string | null;
}

/**
 * A recorded explanation run again: same model (by SHA-256), same scan (by SHA-256), frame,
 * window, letterbox, method and its recorded settings. wrong-model / wrong-scan: the inputs at
 * hand are not the recorded ones (nothing was run).
 */
export interface ReplayReport {
  findingId: string;
  seq: number;
  outcome: 'reproduced' | 'differs' | 'wrong-model' | 'wrong-scan';
  /** One line in plain words. */
  message: string;
  recorded: { modelSha256: string; scanSha256: string; provider: string; method: string };
  replayed: { modelSha256: string; scanSha256: string; provider: string | null };
  parts: ReplayPartResult[];
  /** Parameters the run reports differently from the record (name: recorded → replayed). */
  paramDifferences: string[];
  /** Every compared value equal to the bit. */
  bitIdentical: boolean;
  ms: number;
}
