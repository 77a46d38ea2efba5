/**
 * The one API contract between the renderer and the main process.
 *
 * Each room owns the types it produces (explanations in native-models/explain/types.ts, audit
 * records in db/types.ts, scans in electron/imaging/types.ts); this module composes them, holds
 * the zod schemas every request is validated against in the main process, and the channel table.
 * Preload, IPC dispatch, the renderer and the browser test host all import channel names and
 * types from here.
 */
import { z } from 'zod';
import { METHODS, PRECISIONS, TARGETS, type Precision, type Explanation, type LocalisationMetrics, type Method, type Region, type Target } from '../../native-models/explain/types';
import { LAYER, STEPS } from '../../native-models/explain/methods';
import { MAX_TEXT_CHARS } from './limits';
import type { ErrorCode } from '../../native-models/errors';
import { DECISIONS, MAX_OUTLINE_POINTS, type AnchorInput, type AuditRow, type ChainStatus, type Decision, type ReaderRegion, type RecordedFinding, type ReplayReport, type VerifyReport } from '../../db/types';
import type { FramePixels, ScanSummary, VoiLutPreset, WindowPreset } from '../imaging/types';
import type { ObjectKind, SavedDicom } from '../dicom-export/types';
import type { NodeConfig, PullResult, PushResult, StudyMatch, StudyQuery } from '../pacs/types';

export { METHODS, DECISIONS, TARGETS, PRECISIONS, MAX_OUTLINE_POINTS };
export type { Region, LocalisationMetrics, ReaderRegion };
import type { ReportSentence } from '../../native-models/explain/sentences';
export { negation, reportSentences, splitSentences, type Negation, type ReportSentence, type Span } from '../../native-models/explain/sentences';
export type { Explanation, Method, Target, Decision, AuditRow, ChainStatus, RecordedFinding, FramePixels, ScanSummary, VoiLutPreset, WindowPreset, ErrorCode, ObjectKind, SavedDicom };
export type { AnchorInput, AnchorCheck, Coverage, EvidenceBreak, EvidenceBreakCode, ReplayPart, ReplayPartResult, ReplayReport, SeqRange, SignerSummary, Verdict, VerifyReport } from '../../db/types';
export type { NodeConfig, PullResult, PushResult, StudyMatch, StudyQuery };
export type { TokenScore, WordScore, ExplanationParams, SanityCheck, Precision } from '../../native-models/explain/types';
export { METHOD_SPECS, STEPS, LAYER, INT8_SUMMARY, methodLabel, paramOption, withinLimit, describeLimit, type MethodSpec, type ParamGroup, type ParamSpec, type Limit } from '../../native-models/explain/methods';
export { METRIC_INFO, SIMILARITY_INFO, readableMetrics, readableParams, readableLocalisation, describeRegion, readableSanity, SANITY_FAILED, formatTime, formatValue, type MetricInfo, type ReadableLine } from './readable';

const path = z.string().min(1, 'a file path is required').max(4096);
const id = z.string().min(1).max(200);

export const WindowPresetSchema = z.object({
  name: z.string(),
  center: z.number(),
  width: z.number().positive(),
});

const coordinate = z.number().finite().min(-1e6).max(1e6);

/** The reader's region in scan pixel coordinates (native-models/explain/types Region). */
export const RegionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('box'), x: coordinate, y: coordinate, width: coordinate.positive(), height: coordinate.positive() }).strict(),
  z.object({ kind: z.literal('outline'), points: z.array(z.tuple([coordinate, coordinate])).min(3, 'an outline needs at least 3 points').max(MAX_OUTLINE_POINTS) }).strict(),
]);

/** One explanation's localisation figures against the region, or why there are none (no map). */
export interface LocalisationResult {
  explanationId: string;
  metrics: LocalisationMetrics | null;
  problem: string | null;
}

/** One sentence of the report explained with the others (explain:start with allSentences). */
export interface SentenceExplanation {
  sentence: ReportSentence;
  explanation: Explanation;
}

/** A failure as it crosses the boundary: the taxonomy's code (or invalid-request for a request the schema refused) and one line. */
export interface ApiError {
  code: ErrorCode | 'invalid-request';
  message: string;
}

export type ExplainJobState =
  | { state: 'running'; progress: number; stage: string }
  /** With allSentences: `explanation` is the first sentence's, `sentences` every sentence's (each recordable by its id). */
  | { state: 'done'; explanation: Explanation; sentences?: SentenceExplanation[] }
  | { state: 'failed'; error: ApiError }
  | { state: 'cancelled' };

export interface AppInfo {
  version: string;
  model: { name: string; sha256: string; dir: string } | null;
  modelError: string | null;
  provider: string;
  dbPath: string | null;
  sampleStudies: SampleStudy[];
}
export interface SampleStudy {
  title: string;
  scanPath: string;
  reportText: string;
}

export { MAX_TEXT_CHARS };

export const ExplainRequestSchema = z.object({
  scanId: id,
  frame: z.number().int().min(1).default(1),
  text: z.string().trim().min(1, 'the report text is empty').max(MAX_TEXT_CHARS),
  method: z.enum(METHODS).default('nib'),
  layer: z.number().int().min(LAYER.min).max(LAYER.max).optional(),
  steps: z.number().int().min(STEPS.min).max(STEPS.max).optional(),
  target: z.enum(TARGETS as [Target, ...Target[]]).default('both'),
  /** The arithmetic: fp32, or int8 (NIB only; opt-in, never the default; recorded in the explanation's params). */
  precision: z.enum(PRECISIONS).default('fp32'),
  /** The VOI window applied before the model sees a grayscale scan; default: the scan's first preset. */
  window: z.object({ center: z.number(), width: z.number().positive() }).optional(),
  /** The model-parameter randomisation check (Explanation.sanity): one more run of the method per layer re-drawn, so off unless asked. */
  sanity: z.boolean().default(false),
  /** Every sentence of `text` explained against the scan in one job (the image's work shared), negated ones flagged. */
  allSentences: z.boolean().default(false),
});

export const AuditFilterSchema = z.object({
  reviewer: z.string().max(200).optional(),
  study: z.string().max(200).optional(),
  method: z.string().max(50).optional(),
  model: z.string().max(200).optional(),
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
  search: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(10000).default(500),
});

/** The most bytes of one anchor handed over by value (a PDF report of many findings stays well under it). */
export const MAX_ANCHOR_BYTES = 64 * 2 ** 20;

/** An anchor for audit:verify: a file the user chose or dropped, or its bytes (with a name for messages). */
export const AnchorInputSchema = z.union([
  z.object({ path }).strict(),
  z
    .object({
      name: z.string().min(1).max(500),
      bytes: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'bytes must be a Uint8Array').refine((b) => b.byteLength <= MAX_ANCHOR_BYTES, `an anchor may hold at most ${MAX_ANCHOR_BYTES / 2 ** 20} MiB`),
    })
    .strict(),
]);
/** A PACS node as the user configures it (electron/pacs/node.ts checks it further). */
export const NodeConfigSchema = z.object({
  url: z.string().trim().min(1, 'the node address is required').max(500),
  callingAet: z.string().trim().max(16).optional(),
  retrieve: z.enum(['get', 'move']).optional(),
  movePort: z.number().int().min(1).max(65535).optional(),
});

export const StudyQuerySchema = z.object({
  patientId: z.string().max(64).optional(),
  patientName: z.string().max(320).optional(),
  date: z.string().max(40).optional(),
  modality: z.string().max(16).optional(),
  accession: z.string().max(16).optional(),
  studyUid: z.string().max(64).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});

/** What a finished PACS transfer job holds. */
export type TransferResult = { kind: 'pull'; pull: PullResult } | { kind: 'push'; push: PushResult };
export type TransferJobState =
  | { state: 'running'; progress: number; stage: string }
  | { state: 'done'; result: TransferResult }
  | { state: 'failed'; error: ApiError }
  | { state: 'cancelled' };

/** Channel name → request schema and response type. */
export const channels = {
  'app:info': { request: z.object({}).strict() },
  'scan:open': { request: z.object({ path }).strict() },
  'scan:frame': { request: z.object({ scanId: id, frame: z.number().int().min(1) }).strict() },
  'scan:close': { request: z.object({ scanId: id }).strict() },
  'scan:choose': { request: z.object({}).strict() },
  'explain:start': { request: ExplainRequestSchema.strict() },
  /**
   * Builds NIB's graphs for a layer and precision the reader has just chosen, in the background, so
   * the next click does not derive them (the default layer's fp32 graphs are built when the model loads).
   */
  'explain:prepare': { request: z.object({ layer: z.number().int().min(LAYER.min).max(LAYER.max).optional(), precision: z.enum(PRECISIONS).default('fp32') }).strict() },
  'explain:poll': { request: z.object({ jobId: id }).strict() },
  'explain:cancel': { request: z.object({ jobId: id }).strict() },
  /** How each explanation's map (both sides of a comparison) agrees with the reader's region. */
  'explain:localise': { request: z.object({ explanationIds: z.array(id).min(1).max(16), region: RegionSchema }).strict() },
  'finding:record': {
    request: z
      .object({
        explanationId: id,
        reviewer: z.string().trim().min(1, 'the reviewer name is required').max(200),
        decision: z.enum(DECISIONS),
        note: z.string().max(MAX_TEXT_CHARS).default(''),
        studyLabel: z.string().max(500).optional(),
        /** Record another finding for an explanation already recorded (refused without it). */
        again: z.boolean().optional(),
        /** The reader's region: recorded with its figures, computed again here. */
        region: RegionSchema.optional(),
      })
      .strict(),
  },
  'audit:list': { request: AuditFilterSchema.strict() },
  'audit:get': { request: z.object({ findingId: id }).strict() },
  /** The chain, its signatures against the trust store, the anchors given and the installation's own: coverage. */
  'audit:verify': { request: z.object({ anchors: z.array(AnchorInputSchema).max(100).default([]) }).strict() },
  /**
   * Runs a recorded explanation again with the configured model and compares. The scan: an open
   * one (scanId), a file (scanPath), or else any open scan with the recorded SHA-256.
   */
  'audit:replay': { request: z.object({ findingId: id, scanId: id.optional(), scanPath: path.optional() }).strict() },
  /** Writes where the user chooses (a save dialog, when the app offers one) or into the reports folder; never a path from the caller. */
  'report:pdf': { request: z.object({ findingIds: z.array(id).min(1).max(500) }).strict() },
  /** A recorded finding as DICOM objects, in the app's exports folder (the service chooses it; no path crosses from the renderer). */
  'finding:dicom': { request: z.object({ findingId: id }).strict() },
  'pacs:search': { request: z.object({ node: NodeConfigSchema.strict(), query: StudyQuerySchema.strict() }).strict() },
  /** `user`: who is recorded in the audit log for the transfer (default: this computer's user account). */
  'pacs:pull': { request: z.object({ node: NodeConfigSchema.strict(), studyUid: z.string().trim().min(1).max(64), user: z.string().trim().max(200).optional() }).strict() },
  /** Sends a recorded finding's result objects, made in its scan's study (arbitrary files go by `candor pacs push`, not from the renderer). */
  'pacs:push': { request: z.object({ node: NodeConfigSchema.strict(), findingId: id, user: z.string().trim().max(200).optional() }).strict() },
  'pacs:poll': { request: z.object({ jobId: id }).strict() },
  'pacs:cancel': { request: z.object({ jobId: id }).strict() },
} as const;

export interface Responses {
  'app:info': AppInfo;
  'scan:open': ScanSummary;
  'scan:frame': FramePixels;
  /** closed: false when the scan was not open (closed before, or dropped as least recently used). */
  'scan:close': { closed: boolean };
  'scan:choose': { path: string | null };
  'explain:start': { jobId: string };
  /** prepared: false where the model did not load or the layer is not one of its layers (nothing is built). */
  'explain:prepare': { prepared: boolean };
  'explain:poll': ExplainJobState;
  'explain:cancel': { cancelled: boolean };
  'explain:localise': { results: LocalisationResult[] };
  'finding:record': RecordedFinding;
  'audit:list': { rows: AuditRow[]; chain: ChainStatus; dbPath: string };
  'audit:get': RecordedFinding;
  'audit:verify': VerifyReport;
  'audit:replay': ReplayReport;
  /** path null and cancelled true: the user closed the save dialog; nothing was written. */
  'report:pdf': { path: string | null; bytes: number; cancelled: boolean };
  'finding:dicom': SavedDicom;
  'pacs:search': { node: string; studies: StudyMatch[] };
  'pacs:pull': { jobId: string };
  'pacs:push': { jobId: string };
  'pacs:poll': TransferJobState;
  'pacs:cancel': { cancelled: boolean };
}

export type Channel = keyof typeof channels;
export const CHANNELS = Object.keys(channels) as Channel[];
export type Request<C extends Channel> = z.input<(typeof channels)[C]['request']>;
export type ParsedRequest<C extends Channel> = z.output<(typeof channels)[C]['request']>;
export type Response<C extends Channel> = Responses[C];

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** The one object the preload exposes (window.candor) and the test host's client mirrors. */
export interface CandorApi {
  invoke<C extends Channel>(channel: C, request: Request<C>): Promise<Result<Response<C>>>;
}

export function isChannel(x: unknown): x is Channel {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(channels, x);
}

/** The IPC channel name used on the wire for a contract channel. */
export function ipcName(channel: Channel): string {
  return `candor:${channel}`;
}

/** Compile-time proof that each schema and the room's type describe the same values. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type _SchemasAgreeWithRoomTypes = [
  Assert<Same<z.infer<typeof WindowPresetSchema>, WindowPreset>>,
  Assert<Same<z.output<typeof ExplainRequestSchema>['method'], Method>>,
  Assert<Same<z.output<typeof ExplainRequestSchema>['target'], Target>>,
  Assert<Same<z.output<typeof ExplainRequestSchema>['precision'], Precision>>,
  Assert<Same<z.output<(typeof channels)['finding:record']['request']>['decision'], Decision>>,
  Assert<Same<z.output<typeof AnchorInputSchema>, AnchorInput>>,
  Assert<Same<z.output<typeof RegionSchema>, Region>>,
  Assert<Same<z.output<typeof NodeConfigSchema>, NodeConfig>>,
  Assert<Same<z.output<typeof StudyQuerySchema>, StudyQuery>>,
];
