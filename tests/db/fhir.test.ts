/**
 * `audit export --fhir`: every event of a log (findings, a checkpoint, PACS pulls and pushes that
 * succeeded, partly failed or failed) becomes an AuditEvent that fits FHIR R4's AuditEvent
 * structure (the closed shape below is written from the R4 specification: element names,
 * cardinalities, required bindings, the instant format and invariant sev-1), with the DICOM
 * audit codes for its kind and the chain's hash for cross-checking.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { z } from 'zod';
import { AuditStore } from '../../db/audit-store';
import { auditLogAsFhir, DCM, type FhirAuditEvent } from '../../db/fhir';
import { auditCommand } from '../../electron/cli/commands/audit';
import { inTempDir, makeInput, TEST_KEY } from './helpers';

// FHIR R4 (4.0.1) datatypes and AuditEvent, closed: an element R4 does not define is an error.
const code = z.string().regex(/^[^\s]+( [^\s]+)*$/);
const uri = z.string().regex(/^\S*$/).min(1);
const instant = z.string().regex(/^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/);
const coding = z.object({ system: uri.optional(), version: z.string().optional(), code: code.optional(), display: z.string().optional(), userSelected: z.boolean().optional() }).strict();
const codeableConcept = z.object({ coding: z.array(coding).min(1).optional(), text: z.string().optional() }).strict();
const identifier = z.object({ use: z.enum(['usual', 'official', 'temp', 'secondary', 'old']).optional(), type: codeableConcept.optional(), system: uri.optional(), value: z.string().optional() }).strict();
const reference = z.object({ reference: z.string().optional(), type: uri.optional(), identifier: identifier.optional(), display: z.string().optional() }).strict();
const agent = z
  .object({
    type: codeableConcept.optional(),
    role: z.array(codeableConcept).min(1).optional(),
    who: reference.optional(),
    altId: z.string().optional(),
    name: z.string().optional(),
    requestor: z.boolean(),
    location: reference.optional(),
    policy: z.array(uri).min(1).optional(),
    media: coding.optional(),
    network: z.object({ address: z.string().optional(), type: z.enum(['1', '2', '3', '4', '5']).optional() }).strict().optional(),
    purposeOfUse: z.array(codeableConcept).min(1).optional(),
  })
  .strict();
const detail = z
  .object({ type: z.string().min(1), valueString: z.string().optional(), valueBase64Binary: z.string().optional() })
  .strict()
  .refine((d) => (d.valueString === undefined) !== (d.valueBase64Binary === undefined), 'detail.value[x] is 1..1');
const entity = z
  .object({
    what: reference.optional(),
    type: coding.optional(),
    role: coding.optional(),
    lifecycle: coding.optional(),
    securityLabel: z.array(coding).min(1).optional(),
    name: z.string().optional(),
    description: z.string().optional(),
    query: z.string().optional(),
    detail: z.array(detail).min(1).optional(),
  })
  .strict()
  .refine((e) => !(e.name !== undefined && e.query !== undefined), 'sev-1: either a name or a query (not both)');
const AuditEventR4 = z
  .object({
    resourceType: z.literal('AuditEvent'),
    id: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/).optional(),
    type: coding,
    subtype: z.array(coding).min(1).optional(),
    action: z.enum(['C', 'R', 'U', 'D', 'E']).optional(),
    period: z.object({ start: z.string().optional(), end: z.string().optional() }).strict().optional(),
    recorded: instant,
    outcome: z.enum(['0', '4', '8', '12']).optional(),
    outcomeDesc: z.string().optional(),
    purposeOfEvent: z.array(codeableConcept).min(1).optional(),
    agent: z.array(agent).min(1),
    source: z.object({ site: z.string().optional(), observer: reference, type: z.array(coding).min(1).optional() }).strict(),
    entity: z.array(entity).min(1).optional(),
  })
  .strict();

/** FHIR's ele-1: no element without a value or children (no empty strings, arrays or objects). */
function emptyElements(v: unknown, at = '$'): string[] {
  if (v === '' || (Array.isArray(v) && v.length === 0) || (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)) return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => emptyElements(x, `${at}[${i}]`));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => emptyElements(x, `${at}.${k}`));
  return [];
}

const transfer = (direction: 'pull' | 'push', outcome: string, extra: Record<string, unknown> = {}) => ({
  direction, node: 'dimse://PACS@10.1.2.3:104', protocol: 'dimse', host: '10.1.2.3', remoteAet: 'PACS', localAet: 'CANDOR',
  studyUids: ['1.2.840.1'], instances: ['1.2.840.1.1', '1.2.840.1.2'], failed: [], bytes: 2048, outcome, reason: null, app: '0.1.0', ...extra,
});

function buildLog(dir: string): AuditStore {
  const store = AuditStore.open(join(dir, 'audit.db'), { signingKey: TEST_KEY });
  store.recordFinding(makeInput({ seed: 1 }));
  store.signCheckpoint();
  store.recordEvent({ actor: 'Dr. Ada', action: 'pacs.pull', entityType: 'study', entityId: '1.2.840.1', payload: transfer('pull', 'success') });
  store.recordEvent({ actor: 'Dr. Ada', action: 'pacs.push', entityType: 'study', entityId: '1.2.840.1', payload: transfer('push', 'partial', { failed: [{ sopInstanceUid: '9', reason: 'refused' }], reason: '1 instance(s) refused by the node' }) });
  store.recordEvent({ actor: 'Dr. Ada', action: 'pacs.pull', entityType: 'study', entityId: '1.2.840.9', payload: transfer('pull', 'failed', { studyUids: ['1.2.840.9'], instances: [], reason: 'PACS node …: has no study 1.2.840.9' }) });
  return store;
}

test('every exported AuditEvent fits the FHIR R4 structure and carries the DICOM audit codes of its kind', () => {
  inTempDir((dir) => {
    const store = buildLog(dir);
    const bundle = auditLogAsFhir(store, { app: 'test' });
    const events = store.events();
    store.close();
    assert.equal(bundle.resourceType, 'Bundle');
    assert.equal(bundle.type, 'collection');
    assert.equal(bundle.entry.length, events.length);
    for (const { resource, fullUrl } of bundle.entry) {
      const parsed = AuditEventR4.safeParse(resource);
      assert.ok(parsed.success, `${resource.id}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`);
      assert.deepEqual(emptyElements(resource), [], resource.id);
      assert.match(fullUrl, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(resource.agent.filter((a) => a.requestor).length, 1, 'one requestor');
      assert.ok(resource.source.observer.display?.includes('audit.db'));
    }
    const byAction = (a: string) => bundle.entry.map((e) => e.resource).filter((r) => r.subtype[0]!.code === a);
    const typeOf = (r: FhirAuditEvent) => [r.type.system, r.type.code, r.action, r.outcome];
    assert.deepEqual(typeOf(byAction('finding.record')[0]!), [DCM, '110110', 'C', '0']);
    assert.deepEqual(typeOf(byAction('checkpoint.sign')[0]!), [DCM, '110100', 'E', '0']);
    const [pullOk, pullFailed] = byAction('pacs.pull');
    const [push] = byAction('pacs.push');
    assert.deepEqual(typeOf(pullOk!), [DCM, '110107', 'C', '0']);
    assert.deepEqual(typeOf(push!), [DCM, '110106', 'R', '4']);
    assert.deepEqual(typeOf(pullFailed!), [DCM, '110107', 'C', '8']);
    assert.match(pullFailed!.outcomeDesc ?? '', /has no study/);
    // Import: the node is the source, Candor the destination; Export the other way round.
    const roles = (r: FhirAuditEvent) => r.agent.filter((a) => !a.requestor).map((a) => [a.type?.coding[0]?.code, a.who?.display, a.altId, a.network?.address]);
    assert.deepEqual(roles(pullOk!), [['110153', 'dimse://PACS@10.1.2.3:104', 'PACS', '10.1.2.3'], ['110152', 'Candor 0.1.0', 'CANDOR', undefined]]);
    assert.deepEqual(roles(push!), [['110153', 'Candor 0.1.0', 'CANDOR', undefined], ['110152', 'dimse://PACS@10.1.2.3:104', 'PACS', '10.1.2.3']]);
    assert.deepEqual(push!.agent.find((a) => a.requestor)?.who, { display: 'Dr. Ada' });
    const study = pullOk!.entity.find((e) => e.what?.identifier?.system === 'urn:dicom:uid')!;
    assert.equal(study.what?.identifier?.value, 'urn:oid:1.2.840.1');
    assert.deepEqual(study.what?.identifier?.type?.coding[0], { system: DCM, code: '110180', display: 'Study Instance UID' });
    assert.deepEqual(study.detail?.map((d) => d.valueString), ['1.2.840.1.1', '1.2.840.1.2']);
    // The chain's hash in each resource equals the event's.
    for (const e of events) {
      const r = bundle.entry.find((x) => x.resource.id.startsWith(`candor-${e.seq}-`))!.resource;
      const chain = r.entity.find((x) => x.what?.identifier?.system === 'urn:candor:audit-event')!;
      assert.equal(chain.detail?.find((d) => d.type === 'eventHash')?.valueString, e.hash);
    }
  });
});

test('candor audit export --fhir writes the bundle, the filters narrowing it like the other formats', async () => {
  await inTempDir(async (dir) => {
    buildLog(dir).close();
    const out: string[] = [];
    const io = { stdout: (s: string) => void out.push(s), stderr: (s: string) => void out.push(s) };
    assert.equal(await auditCommand(['export', '--db', join(dir, 'audit.db'), '--fhir'], io), 0);
    const all = JSON.parse(out.join('')) as { entry: { resource: FhirAuditEvent }[] };
    assert.equal(all.entry.length, 6);
    out.length = 0;
    assert.equal(await auditCommand(['export', '--db', join(dir, 'audit.db'), '--fhir', '--reviewer', 'Dr. Ada'], io), 0);
    const mine = JSON.parse(out.join('')) as { entry: { resource: FhirAuditEvent }[] };
    assert.deepEqual(mine.entry.map((e) => e.resource.type.code), ['110107', '110106', '110107']);
    out.length = 0;
    assert.equal(await auditCommand(['export', '--db', join(dir, 'audit.db'), '--fhir', '--csv'], io), 2);
    assert.match(out.join(''), /exactly one of --json, --csv, --fhir, --pdf OUT, --dicom OUTDIR/);
  });
});
