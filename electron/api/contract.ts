/**
 * The one API contract between the renderer and the main process.
 *
 * Preload, IPC handlers, the renderer and the browser test host all import the channel
 * names and types from here; every request is validated against these schemas in the main
 * process before a service sees it.
 */
import { z } from 'zod';

export const METHODS = ['nib', 'm2ib', 'gradcam', 'rise', 'saliency', 'ig'] as const;
export type Method = (typeof METHODS)[number];
export const DECISIONS = ['agree', 'disagree', 'uncertain'] as const;
export type Decision = (typeof DECISIONS)[number];

const path = z.string().min(1, 'a file path is required').max(4096);
const id = z.string().min(1).max(200);

export const WindowPresetSchema = z.object({
  name: z.string(),
  center: z.number(),
  width: z.number().positive(),
});
export type WindowPreset = z.infer<typeof WindowPresetSchema>;

/** What the viewer needs to know about a scan, without its pixels. */
export interface ScanSummary {
  id: string;
  path: string;
  fileName: string;
  format: 'dicom' | 'png' | 'jpeg';
  width: number;
  height: number;
  frames: number;
  /** 1 = grayscale (modality values), 3 = RGB 0..255 */
  channels: 1 | 3;
  photometric: string;
  bitsStored: number;
  modality: string | null;
  /** Unit of the values under the cursor: 'HU' for CT, otherwise the modality's own. */
  units: string;
  /** MONOCHROME1: higher values are darker. The viewer inverts by default. */
  invertedByDefault: boolean;
  /** The full value range over the first frame, for a default window. */
  valueRange: { min: number; max: number };
  /** Modality values that are Pixel Padding (0028,0120/0121): background, drawn black; null when none. */
  pixelPadding: { min: number; max: number } | null;
  windows: WindowPreset[];
  sha256: string;
  /** Identifying and descriptive tags shown in the UI (hidden by the user's choice). */
  patient: { name: string | null; id: string | null; studyDate: string | null; studyDescription: string | null };
}

/** One frame of modality values (after rescale), row-major; colour interleaved RGB. */
export interface FramePixels {
  scanId: string;
  frame: number;
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Float32Array;
}

export interface TokenScore {
  text: string;
  start: number | null;
  end: number | null;
  raw: number;
  normalized: number;
  special: boolean;
}
export interface WordScore {
  text: string;
  start: number;
  end: number;
  raw: number;
  normalized: number;
}

/** Everything needed to redraw an explanation and to audit it later. */
export interface Explanation {
  id: string;
  method: Method;
  params: { layer: number; steps: number; target: 'image' | 'text' | 'both'; [k: string]: number | string | boolean };
  similarity: number;
  model: { name: string; sha256: string };
  input: { scanSha256: string; frame: number; text: string; textSha256: string };
  provider: string;
  image: {
    grid: [number, number];
    tokenScores: number[];
    /** Normalized [0,1] map in scan coordinates (width × height of the map, row-major). */
    map: { width: number; height: number; values: Float32Array };
  } | null;
  text: { tokens: TokenScore[]; words: WordScore[] } | null;
  metrics: Record<string, number>;
  timings: Record<string, number>;
  warnings: string[];
}

export type ExplainJobState =
  | { state: 'running'; progress: number; stage: string }
  | { state: 'done'; explanation: Explanation }
  | { state: 'failed'; error: string }
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
export interface RecordedFinding {
  findingId: string;
  seq: number;
  eventHash: string;
  time: string;
  reviewer: string;
  decision: Decision;
  note: string;
  explanation: Explanation;
}
export interface ChainStatus {
  ok: boolean;
  events: number;
  firstBroken: number | null;
  reason: string | null;
}

export const ExplainRequestSchema = z.object({
  scanId: id,
  frame: z.number().int().min(1).default(1),
  text: z.string().trim().min(1, 'the report text is empty').max(20000),
  method: z.enum(METHODS).default('nib'),
  layer: z.number().int().min(0).max(200).optional(),
  steps: z.number().int().min(1).max(200).optional(),
  target: z.enum(['image', 'text', 'both']).default('both'),
  /** The VOI window applied before the model sees a grayscale scan; default: the scan's first preset. */
  window: z.object({ center: z.number(), width: z.number().positive() }).optional(),
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

/** Channel name → request schema and response type. */
export const channels = {
  'app:info': { request: z.object({}).strict() },
  'scan:open': { request: z.object({ path }).strict() },
  'scan:frame': { request: z.object({ scanId: id, frame: z.number().int().min(1) }).strict() },
  'scan:choose': { request: z.object({}).strict() },
  'explain:start': { request: ExplainRequestSchema.strict() },
  'explain:poll': { request: z.object({ jobId: id }).strict() },
  'explain:cancel': { request: z.object({ jobId: id }).strict() },
  'finding:record': {
    request: z
      .object({
        explanationId: id,
        reviewer: z.string().trim().min(1, 'the reviewer name is required').max(200),
        decision: z.enum(DECISIONS),
        note: z.string().max(20000).default(''),
        studyLabel: z.string().max(500).optional(),
      })
      .strict(),
  },
  'audit:list': { request: AuditFilterSchema.strict() },
  'audit:get': { request: z.object({ findingId: id }).strict() },
  'audit:verify': { request: z.object({}).strict() },
  'report:pdf': { request: z.object({ findingIds: z.array(id).min(1).max(500), outPath: path.optional() }).strict() },
} as const;

export interface Responses {
  'app:info': AppInfo;
  'scan:open': ScanSummary;
  'scan:frame': FramePixels;
  'scan:choose': { path: string | null };
  'explain:start': { jobId: string };
  'explain:poll': ExplainJobState;
  'explain:cancel': { cancelled: boolean };
  'finding:record': RecordedFinding;
  'audit:list': { rows: AuditRow[]; chain: ChainStatus; dbPath: string };
  'audit:get': RecordedFinding;
  'audit:verify': ChainStatus;
  'report:pdf': { path: string; bytes: number };
}

export type Channel = keyof typeof channels;
export const CHANNELS = Object.keys(channels) as Channel[];
export type Request<C extends Channel> = z.input<(typeof channels)[C]['request']>;
export type ParsedRequest<C extends Channel> = z.output<(typeof channels)[C]['request']>;
export type Response<C extends Channel> = Responses[C];

export interface ApiError {
  code: 'invalid-request' | 'not-found' | 'bad-input' | 'cancelled' | 'internal' | 'unavailable';
  message: string;
}
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
