/**
 * The round trip from the command line, as a hospital script would run it: a demo study loaded
 * into Orthanc is found by `candor pacs search`, pulled, explained with the demo model and
 * recorded (`candor explain --db`), and the finding's results pushed back land in the same study
 * (checked through Orthanc's REST API) — over DICOMweb, and over DIMSE (C-FIND / C-MOVE from
 * Orthanc, C-STORE into DCMTK's storescp).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pacsCommand } from '../../electron/cli/commands/pacs';
import { explainCommand } from '../../electron/cli/commands/explain';
import { auditCommand } from '../../electron/cli/commands/audit';
import { freePort, startOrthanc, type Orthanc } from './orthanc';
import { captureIo, DEMO_BUNDLE, demoScan, startStorescp, tagOf, tempDir, type StoreScp } from './helpers';

let orthanc: Orthanc;
let storescp: StoreScp;
let movePort: number;
const ENCAPSULATED_PDF = '1.2.840.10008.5.1.4.1.1.104.1';
/** What a finding's Send carries: Parametric Map, Segmentation, Secondary Capture, Comprehensive SR, the PDF report. */
const RESULT_CLASSES = ['1.2.840.10008.5.1.4.1.1.30', '1.2.840.10008.5.1.4.1.1.66.4', '1.2.840.10008.5.1.4.1.1.7', '1.2.840.10008.5.1.4.1.1.88.33', ENCAPSULATED_PDF];

before(async () => {
  movePort = await freePort();
  orthanc = await startOrthanc({ modalities: { candor: { aet: 'CANDOR', port: movePort } } });
  storescp = await startStorescp();
  await orthanc.upload(demoScan(1), demoScan(2), demoScan(4));
});
after(async () => {
  await storescp?.stop();
  await orthanc?.stop();
});

async function cli(command: (args: string[], io: ReturnType<typeof captureIo>['io']) => Promise<number>, args: string[], expect = 0): Promise<string> {
  const c = captureIo();
  const code = await command(args, c.io);
  assert.equal(code, expect, `${args.join(' ')}\nstdout: ${c.text()}\nstderr: ${c.errors()}`);
  return c.text();
}

/** search → pull → explain + record → the finding's id and the pulled file. */
async function findPullExplain(url: string, patient: string, extra: string[], dir: string): Promise<{ studyUid: string; file: string; findingId: string; db: string }> {
  const found = JSON.parse(await cli(pacsCommand, ['search', '--url', url, '--patient', patient, '--json', ...extra])) as { studies: { studyUid: string; patientId: string }[] };
  assert.equal(found.studies.length, 1);
  const studyUid = found.studies[0]!.studyUid;
  const db = join(dir, 'audit.sqlite');
  const pulled = JSON.parse(await cli(pacsCommand, ['pull', '--url', url, '--study', studyUid, '--out', join(dir, 'cache'), '--json', '--db', db, '--user', 'Dr. Round Trip', ...extra])) as { files: string[]; dir: string };
  assert.equal(pulled.files.length, 1);
  assert.equal(pulled.dir, join(dir, 'cache', studyUid));
  const file = pulled.files[0]!;
  assert.equal(tagOf(file, '0020000D'), studyUid);
  const json = join(dir, 'explanation.json');
  await cli(explainCommand, ['--model', DEMO_BUNDLE, '--image', file, '--report', demoScan(Number(patient.slice(-1))).replace(/\.dcm$/, '.report.txt'), '--db', db, '--reviewer', 'Dr. Round Trip', '--decision', 'agree', '--json', json, '--quiet']);
  const explained = JSON.parse(readFileSync(json, 'utf8')) as { finding: { id: string }; similarity: number };
  assert.ok(Number.isFinite(explained.similarity));
  return { studyUid, file, findingId: explained.finding.id, db };
}

test('DICOMweb round trip: search, pull, explain and record, push the results back into the same study', async () => {
  const dir = tempDir('cli-web');
  const url = orthanc.dicomWeb;
  const { studyUid, file, findingId, db } = await findPullExplain(url, 'CANDOR-DEMO-02', [], dir);
  const before = await orthanc.instanceUids(studyUid);
  const pushed = JSON.parse(await cli(pacsCommand, ['push', '--url', url, '--db', db, '--user', 'Dr. Round Trip', '--finding', findingId, '--scan', file, '--out', join(dir, 'results'), '--json'])) as { sent: { sopInstanceUid: string; studyUid: string }[]; failed: unknown[] };
  assert.deepEqual(pushed.failed, []);
  assert.equal(pushed.sent.length, RESULT_CLASSES.length, 'the map objects, the SR and the PDF');
  for (const s of pushed.sent) assert.equal(s.studyUid, studyUid);
  const after = await orthanc.instanceUids(studyUid);
  assert.deepEqual(after, [...before, ...pushed.sent.map((s) => s.sopInstanceUid)].sort(), 'the study holds the scan and the results');
  const classes: string[] = [];
  for (const sent of pushed.sent) {
    const [id] = await orthanc.rest<string[]>('/tools/find', { method: 'POST', body: JSON.stringify({ Level: 'Instance', Query: { SOPInstanceUID: sent.sopInstanceUid } }) });
    const tags = await orthanc.rest<Record<string, string>>(`/instances/${id}/simplified-tags`);
    assert.equal(tags.StudyInstanceUID, studyUid);
    classes.push(tags.SOPClassUID!);
  }
  assert.deepEqual(classes.sort(), [...RESULT_CLASSES].sort(), 'Parametric Map, Segmentation, Secondary Capture, Comprehensive SR, Encapsulated PDF');
  // Plain files go the same way.
  const again = await cli(pacsCommand, ['push', '--url', url, file]);
  assert.match(again, /sent 1 of 1 instance\(s\) to http:\/\/127\.0\.0\.1:\d+\/dicom-web/);

  // The audit log: pull, finding, push in one intact chain; the push as a FHIR Export of that study and object.
  const rows = JSON.parse(await cli(auditCommand, ['list', '--db', db, '--json'])) as { action: string; actor: string }[];
  assert.deepEqual(rows.map((r) => [r.action, r.actor]).reverse().slice(-3), [['pacs.pull', 'Dr. Round Trip'], ['finding.record', 'Dr. Round Trip'], ['pacs.push', 'Dr. Round Trip']]);
  assert.match(await cli(auditCommand, ['verify', '--db', db]), /VERIFIED: the chain is intact and all \d+ events are covered/);
  const fhir = JSON.parse(await cli(auditCommand, ['export', '--db', db, '--fhir'])) as { entry: { resource: { type: { code: string }; outcome: string; entity: { what?: { identifier?: { value: string } }; detail?: { valueString: string }[] }[] } }[] };
  const exported = fhir.entry.map((e) => e.resource).find((r) => r.type.code === '110106')!;
  assert.equal(exported.outcome, '0');
  const studyEntity = exported.entity.find((e) => e.what?.identifier?.value === `urn:oid:${studyUid}`)!;
  assert.deepEqual(studyEntity.detail?.map((d) => d.valueString).sort(), pushed.sent.map((s) => s.sopInstanceUid).sort());
  assert.ok(fhir.entry.some((e) => e.resource.type.code === '110107'), 'the pull is an Import');
});

test('DIMSE round trip: C-FIND and C-MOVE from Orthanc, C-STORE of the results into DCMTK storescp', async () => {
  const dir = tempDir('cli-dimse');
  const move = ['--aet', 'CANDOR', '--move-port', String(movePort)];
  const { studyUid, file, findingId, db } = await findPullExplain(orthanc.dimseUrl, 'CANDOR-DEMO-04', move, dir);
  const out = await cli(pacsCommand, ['push', '--url', storescp.url, '--aet', 'CANDOR', '--db', db, '--finding', findingId, '--scan', file]);
  assert.match(out, new RegExp(`sent ${RESULT_CLASSES.length} of ${RESULT_CLASSES.length} instance\\(s\\) to dimse://STORESCP@127\\.0\\.0\\.1:\\d+`));
  const classes = storescp.files().map((f) => tagOf(f, '00080016')).filter((c) => RESULT_CLASSES.includes(c!));
  assert.deepEqual(classes.sort(), [...RESULT_CLASSES].sort(), 'storescp received every result object');
  const received = storescp.files().filter((f) => tagOf(f, '00080016') === ENCAPSULATED_PDF);
  assert.equal(received.length, 1, `storescp received ${storescp.files().join(', ')}`);
  assert.equal(tagOf(received[0]!, '0020000D'), studyUid, 'filed in the pulled study');
  assert.equal(tagOf(received[0]!, '00100020'), 'CANDOR-DEMO-04');
  // dicom3tools checks the object against the Encapsulated PDF IOD.
  const v = spawnSync('dciodvfy', [received[0]!], { encoding: 'utf8' });
  const problems = `${v.stdout}${v.stderr}`.split('\n').filter((l) => /^(Error|Warning)/.test(l));
  assert.deepEqual(problems, [], `dciodvfy: ${v.stdout}${v.stderr}`);
});

test('the CLI says what is wrong: a node that is down, a missing option, a study the node does not have', async () => {
  const port = await freePort();
  const c = captureIo();
  assert.equal(await pacsCommand(['search', '--url', `dimse://ORTHANC@127.0.0.1:${port}`, '--timeout', '2'], c.io), 1);
  assert.match(c.errors(), new RegExp(`candor pacs: PACS node dimse://ORTHANC@127\\.0\\.0\\.1:${port}: refused the connection`));
  const u = captureIo();
  assert.equal(await pacsCommand(['pull', '--url', orthanc.dicomWeb, '--out', tempDir('x')], u.io), 2);
  assert.match(u.errors(), /pull needs --study UID/);
  const cache = tempDir('cli-missing');
  const m = captureIo();
  assert.equal(await pacsCommand(['pull', '--url', orthanc.dicomWeb, '--study', '1.2.3.4', '--out', cache], m.io), 1);
  assert.match(m.errors(), /has no study 1\.2\.3\.4/);
  assert.deepEqual(readdirSync(cache), [], 'nothing half-written');
});
