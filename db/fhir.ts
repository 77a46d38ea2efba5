/**
 * The audit log as FHIR R4 AuditEvent resources, for a hospital's audit repository. Codes follow
 * the DICOM audit vocabulary as FHIR's own DICOM-based examples do: a pull is an Import (DCM
 * 110107), a push an Export (110106), a finding a Patient Record event (110110), anything else
 * Application Activity (110100). Each resource carries the event's hash so it can be checked
 * against the chain.
 */
import type { AuditStore } from './audit-store';
import { parseCanonical } from './canonical';
import { FINDING_ACTION, type EventRow } from './chain';

export const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
const AGENT_TYPE = 'http://terminology.hl7.org/CodeSystem/extra-security-role-type';
/** Candor's own action names (pacs.pull, finding.record, …) as the AuditEvent subtype. */
export const CANDOR_ACTION = 'urn:candor:audit-action';

export interface Coding {
  system: string;
  code: string;
  display?: string;
}
interface Reference {
  display?: string;
  identifier?: { system: string; value: string; type?: { coding: Coding[] } };
}
export interface FhirAgent {
  type?: { coding: Coding[] };
  who?: Reference;
  altId?: string;
  name?: string;
  requestor: boolean;
  network?: { address: string; type: '1' | '2' };
}
export interface FhirEntity {
  what?: Reference;
  type?: Coding;
  role?: Coding;
  name?: string;
  detail?: { type: string; valueString: string }[];
}
export interface FhirAuditEvent {
  resourceType: 'AuditEvent';
  id: string;
  type: Coding;
  subtype: Coding[];
  action: 'C' | 'R' | 'U' | 'D' | 'E';
  recorded: string;
  outcome: '0' | '4' | '8' | '12';
  outcomeDesc?: string;
  agent: FhirAgent[];
  source: { observer: Reference; type: Coding[] };
  entity: FhirEntity[];
}
export interface FhirBundle {
  resourceType: 'Bundle';
  type: 'collection';
  timestamp: string;
  entry: { fullUrl: string; resource: FhirAuditEvent }[];
}

/** The fields of a pacs.pull / pacs.push payload read here (electron/pacs/audit-record.ts writes them). */
interface TransferFacts {
  direction?: 'pull' | 'push';
  node?: string;
  host?: string;
  remoteAet?: string | null;
  localAet?: string | null;
  studyUids?: string[];
  instances?: string[];
  outcome?: 'success' | 'partial' | 'failed' | 'cancelled';
  reason?: string | null;
  app?: string;
}

const EVENT_TYPES: Record<string, Coding> = {
  'pacs.pull': { system: DCM, code: '110107', display: 'Import' },
  'pacs.push': { system: DCM, code: '110106', display: 'Export' },
  [FINDING_ACTION]: { system: DCM, code: '110110', display: 'Patient Record' },
};
const APPLICATION_ACTIVITY: Coding = { system: DCM, code: '110100', display: 'Application Activity' };
const OUTCOMES: Record<string, FhirAuditEvent['outcome']> = { success: '0', partial: '4', cancelled: '4', failed: '8' };

function studyEntity(uid: string, instances: string[] = []): FhirEntity {
  return {
    what: { identifier: { system: 'urn:dicom:uid', value: `urn:oid:${uid}`, type: { coding: [{ system: DCM, code: '110180', display: 'Study Instance UID' }] } } },
    type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
    role: { system: OBJECT_ROLE, code: '3', display: 'Report' },
    ...(instances.length ? { detail: instances.map((sop) => ({ type: 'SOPInstanceUID', valueString: sop })) } : {}),
  };
}

function transferAgents(t: TransferFacts, app: string): FhirAgent[] {
  const role = (code: '110153' | '110152') => ({ coding: [{ system: DCM, code, display: code === '110153' ? 'Source Role ID' : 'Destination Role ID' }] });
  const host = t.host ?? '';
  const remote: Omit<FhirAgent, 'type'> = {
    who: { display: t.node ?? 'unknown node' },
    ...(t.remoteAet ? { altId: t.remoteAet } : {}),
    requestor: false,
    ...(host ? { network: { address: host, type: /^[\d.]+$|:/.test(host) ? '2' : '1' } } : {}),
  };
  const local: Omit<FhirAgent, 'type'> = { who: { display: `Candor ${t.app ?? app}` }, ...(t.localAet ? { altId: t.localAet } : {}), requestor: false };
  return t.direction === 'push' ? [{ type: role('110153'), ...local }, { type: role('110152'), ...remote }] : [{ type: role('110153'), ...remote }, { type: role('110152'), ...local }];
}

/** One event as an AuditEvent; `findingStudy` is the study of a finding event, when known. */
export function toFhirAuditEvent(e: EventRow, opts: { observer: string; app: string; findingStudy?: string | null }): FhirAuditEvent {
  const transfer = e.action.startsWith('pacs.') && e.payload ? (parseCanonical(e.payload) as TransferFacts) : null;
  const person = e.actor !== 'system';
  const agents: FhirAgent[] = [
    {
      type: { coding: [person ? { system: AGENT_TYPE, code: 'humanuser', display: 'human user' } : { system: AGENT_TYPE, code: 'dataprocessor', display: 'data processor' }] },
      who: { display: person ? e.actor : `Candor ${opts.app}` },
      ...(person ? { name: e.actor } : {}),
      requestor: true,
    },
    ...(transfer ? transferAgents(transfer, opts.app) : []),
  ];
  const entities: FhirEntity[] = [];
  if (transfer) for (const uid of transfer.studyUids ?? []) entities.push(studyEntity(uid, transfer.instances));
  if (e.action === FINDING_ACTION) {
    entities.push({ what: { identifier: { system: 'urn:candor:finding', value: e.entity_id ?? '' } }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '3', display: 'Report' }, name: 'Candor finding' });
    if (opts.findingStudy) entities.push(studyEntity(opts.findingStudy));
  }
  // The chain's own evidence: the event in the log and its hashes.
  entities.push({
    what: { identifier: { system: 'urn:candor:audit-event', value: String(e.seq) } },
    type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
    name: `${opts.observer} event ${e.seq}`,
    detail: [
      { type: 'eventHash', valueString: e.hash },
      { type: 'prevHash', valueString: e.prev_hash },
      { type: 'payloadHash', valueString: e.payload_hash },
    ],
  });
  return {
    resourceType: 'AuditEvent',
    id: `candor-${e.seq}-${e.hash.slice(0, 16)}`,
    type: EVENT_TYPES[e.action] ?? APPLICATION_ACTIVITY,
    subtype: [{ system: CANDOR_ACTION, code: e.action }],
    action: e.action === 'pacs.push' ? 'R' : e.action === 'pacs.pull' || e.action === FINDING_ACTION ? 'C' : 'E',
    recorded: e.time,
    outcome: transfer ? (OUTCOMES[transfer.outcome ?? 'success'] ?? '8') : '0',
    ...(transfer?.reason ? { outcomeDesc: transfer.reason } : {}),
    agent: agents,
    source: { observer: { display: opts.observer }, type: [{ system: SOURCE_TYPE, code: '1', display: 'User Device' }] },
    entity: entities,
  };
}

/** A UUID made from the event hash, so the same log exports to the same bundle. */
function uuidOf(hash: string): string {
  return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}`;
}

/** The given events of the log (by seq; all when none given) as a FHIR collection Bundle. */
export function auditLogAsFhir(store: AuditStore, opts: { app: string; seqs?: number[] }): FhirBundle {
  const wanted = opts.seqs ? new Set(opts.seqs) : null;
  const observer = `Candor audit log ${store.path}`;
  const entry = store
    .events()
    .filter((e) => !wanted || wanted.has(e.seq))
    .map((e) => {
      const findingStudy = e.action === FINDING_ACTION && e.entity_id ? store.getFindingContext(e.entity_id).scan.studyUid : null;
      return { fullUrl: `urn:uuid:${uuidOf(e.hash)}`, resource: toFhirAuditEvent(e, { observer, app: opts.app, findingStudy }) };
    });
  return { resourceType: 'Bundle', type: 'collection', timestamp: new Date().toISOString(), entry };
}
