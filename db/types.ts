/**
 * What the audit room produces: recorded findings, the rows of the audit list, the chain's status.
 * Pure types and constants, shared with the API contract and the renderer.
 */
import type { Explanation } from '../native-models/explain/types';

export const DECISIONS = ['agree', 'disagree', 'uncertain'] as const;
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
