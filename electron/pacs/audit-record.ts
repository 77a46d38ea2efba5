/**
 * What the audit log keeps of a transfer (who is added by the caller): the node, the study, the
 * instances that moved, how it ended. Built here, recorded by the services and the CLI through
 * AuditStore.recordEvent, exported as FHIR AuditEvent (db/fhir.ts reads the same fields).
 */
import { errorCode, errorMessage } from '../../native-models/errors';
import type { PacsNode, PullResult, PushResult, SentInstance } from './types';

export const PULL_ACTION = 'pacs.pull';
export const PUSH_ACTION = 'pacs.push';

export type TransferOutcome = 'success' | 'partial' | 'failed' | 'cancelled';

/** The payload of a pacs.pull / pacs.push event (canonical JSON in the log). */
export interface TransferPayload {
  direction: 'pull' | 'push';
  node: string;
  protocol: 'dicomweb' | 'dimse';
  /** Host of the node, for the audit agent's network address. */
  host: string;
  /** DIMSE only: the node's AE title and ours. */
  remoteAet: string | null;
  localAet: string | null;
  studyUids: string[];
  /** SOP Instance UIDs received (pull) or stored by the node (push). */
  instances: string[];
  failed: { sopInstanceUid: string; reason: string }[];
  bytes: number;
  outcome: TransferOutcome;
  /** Why it failed or was cancelled; null on success. */
  reason: string | null;
  app: string;
}

export interface TransferRecord {
  action: typeof PULL_ACTION | typeof PUSH_ACTION;
  entityType: 'study';
  entityId: string | null;
  payload: TransferPayload;
}

function nodeFields(node: PacsNode): Pick<TransferPayload, 'node' | 'protocol' | 'host' | 'remoteAet' | 'localAet'> {
  if (node.kind === 'dicomweb') return { node: node.label, protocol: 'dicomweb', host: new URL(node.url).hostname, remoteAet: null, localAet: null };
  return { node: node.label, protocol: 'dimse', host: node.host, remoteAet: node.calledAet, localAet: node.callingAet };
}

function ending(error: unknown): { outcome: TransferOutcome; reason: string | null } {
  if (error === undefined) return { outcome: 'success', reason: null };
  return { outcome: errorCode(error) === 'cancelled' ? 'cancelled' : 'failed', reason: errorMessage(error) };
}

/** A pull: its result, or the error it ended with (nothing was kept then). */
export function pullRecord(node: PacsNode, studyUid: string, app: string, outcome: { result: PullResult } | { error: unknown }): TransferRecord {
  const result = 'result' in outcome ? outcome.result : null;
  return {
    action: PULL_ACTION,
    entityType: 'study',
    entityId: studyUid,
    payload: {
      direction: 'pull',
      ...nodeFields(node),
      studyUids: [studyUid],
      instances: result?.instances ?? [],
      failed: [],
      bytes: result?.bytes ?? 0,
      ...ending('error' in outcome ? outcome.error : undefined),
      app,
    },
  };
}

/** A push: what the node stored and refused, or the error that stopped it (with what had been stored by then). */
export function pushRecord(node: PacsNode, app: string, outcome: { result: PushResult } | { error: unknown; sent: SentInstance[] }): TransferRecord {
  const sent = 'result' in outcome ? outcome.result.sent : outcome.sent;
  const failed = 'result' in outcome ? outcome.result.failed : [];
  const studies = [...new Set(sent.map((s) => s.studyUid))].sort();
  let end = 'error' in outcome ? ending(outcome.error) : ending(undefined);
  if ('result' in outcome && failed.length) end = { outcome: sent.length ? 'partial' : 'failed', reason: `${failed.length} instance(s) refused by the node` };
  else if ('error' in outcome && sent.length && end.outcome === 'failed') end = { ...end, outcome: 'partial' };
  return {
    action: PUSH_ACTION,
    entityType: 'study',
    entityId: studies[0] ?? null,
    payload: {
      direction: 'push',
      ...nodeFields(node),
      studyUids: studies,
      instances: sent.map((s) => s.sopInstanceUid).sort(),
      failed: failed.map((f) => ({ sopInstanceUid: f.sopInstanceUid, reason: f.reason })),
      bytes: 'result' in outcome ? outcome.result.bytes : 0,
      ...end,
      app,
    },
  };
}
