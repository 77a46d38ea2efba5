/**
 * The PACS channels through the app's own dispatch (validation, services, jobs): a pull runs as a
 * job with progress; pacs:cancel stops it for real (no request is sent after the cancel,
 * the partial folder is removed); bad input is refused at once with the reason.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createDispatch } from '../../electron/ipc/handlers';
import { createServices } from '../../electron/services/index';
import type { Channel, Request, Response, TransferJobState } from '../../electron/api/contract';
import { join } from 'node:path';
import { AuditStore } from '../../db/audit-store';
import { startOrthanc, type Orthanc } from './orthanc';
import { RETRIEVE_PARALLEL } from '../../electron/pacs/dicomweb';
import { DEMO_BUNDLE, multiInstanceStudy, tempDir } from './helpers';

let orthanc: Orthanc;
let slow: Server;
let slowUrl: string;
const requests: { path: string }[] = [];
/** Instances the slow archive has answered (counted as each answer is handed to the socket). */
let instancesAnswered = 0;
let multi: ReturnType<typeof multiInstanceStudy>;
// Long enough that a loaded machine still cancels within the first of the three rounds (8 instances, 3 at a time).
const DELAY_MS = 400;

before(async () => {
  orthanc = await startOrthanc();
  multi = multiInstanceStudy(tempDir('svc-multi'), 8);
  await orthanc.upload(...multi.files);
  // A slow archive: Orthanc behind a proxy that holds each instance for DELAY_MS, and logs every request.
  slow = createServer((req, res) => {
    requests.push({ path: req.url ?? '' });
    const isInstance = /\/instances\/[0-9.]+$/.test((req.url ?? '').split('?')[0]!);
    setTimeout(async () => {
      try {
        const r = await fetch(`${orthanc.http}${req.url}`, { headers: { accept: String(req.headers.accept ?? '*/*') } });
        const body = Buffer.from(await r.arrayBuffer());
        if (isInstance) instancesAnswered++;
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' });
        res.end(body);
      } catch {
        res.destroy();
      }
    }, isInstance ? DELAY_MS : 0);
  });
  const port = await new Promise<number>((ok) => slow.listen(0, '127.0.0.1', () => ok((slow.address() as { port: number }).port)));
  slowUrl = `http://127.0.0.1:${port}/dicom-web`;
});
after(async () => {
  slow?.close();
  await orthanc?.stop();
});

function services(cache: string, dbPath: string | null = null) {
  const s = createServices({ appVersion: 'test', modelDir: DEMO_BUNDLE, samplesIndex: null, dbPath, pacsCacheDir: cache, pacsTimeouts: { idleMs: 3000 } });
  const dispatch = createDispatch(s);
  const call = async <C extends Channel>(channel: C, request: Request<C>): Promise<Response<C>> => {
    const r = await dispatch(channel, request);
    if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    return r.value as Response<C>;
  };
  return { s, call };
}

async function until(poll: () => Promise<TransferJobState>, done: (s: TransferJobState) => boolean, ms = 20_000): Promise<TransferJobState> {
  const end = Date.now() + ms;
  for (;;) {
    const state = await poll();
    if (done(state) || Date.now() > end) return state;
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('pacs:pull runs as a job: progress in instances, then the complete study in the cache', async () => {
  const cache = tempDir('svc-pull');
  const { s, call } = services(cache);
  try {
    const { jobId } = await call('pacs:pull', { node: { url: orthanc.dicomWeb }, studyUid: multi.studyUid });
    const stages = new Set<string>();
    const final = await until(async () => {
      const st = await call('pacs:poll', { jobId });
      if (st.state === 'running') stages.add(st.stage);
      return st;
    }, (st) => st.state !== 'running');
    assert.equal(final.state, 'done', JSON.stringify(final));
    if (final.state !== 'done' || final.result.kind !== 'pull') throw new Error('not a pull');
    assert.equal(final.result.pull.files.length, 8);
    assert.deepEqual(readdirSync(cache), [multi.studyUid]);
    assert.ok([...stages].some((t) => /received \d of 8 instance\(s\)/.test(t)), [...stages].join(' | '));
  } finally {
    await s.dispose();
  }
});

test('pacs:cancel stops the transfer: no instance is asked for after it, and nothing is kept', async () => {
  const cache = tempDir('svc-cancel');
  const { s, call } = services(cache);
  try {
    requests.length = 0;
    const { jobId } = await call('pacs:pull', { node: { url: slowUrl }, studyUid: multi.studyUid });
    await until(() => call('pacs:poll', { jobId }), (st) => st.state === 'running' && /received [1-9]/.test(st.stage));
    // The client asks for an instance only when one of its RETRIEVE_PARALLEL requests has been answered,
    // so however late the archive logs requests sent before the cancel, it can see at most this many.
    const bound = instancesAnswered + RETRIEVE_PARALLEL;
    assert.deepEqual(await call('pacs:cancel', { jobId }), { cancelled: true });
    // The job reads "cancelled" once its work has stopped: its requests aborted, its partial folder removed.
    const ended = await until(() => call('pacs:poll', { jobId }), (st) => st.state !== 'running');
    assert.equal(ended.state, 'cancelled');
    assert.deepEqual(readdirSync(cache), [], 'no partial folder left');
    await new Promise((r) => setTimeout(r, 3 * DELAY_MS));
    const instanceRequests = requests.filter((r) => /\/instances\/[0-9.]+$/.test(r.path.split('?')[0]!));
    assert.ok(bound < 8, `cancelled early enough to tell (${bound - RETRIEVE_PARALLEL} answered)`);
    assert.ok(instanceRequests.length <= bound, `no instance asked for after the cancel: ${instanceRequests.length} requests, at most ${bound} were sent before it`);
  } finally {
    await s.dispose();
  }
});

test('bad input is refused at once: a node address that is neither, a date that is none, arbitrary files pushed from the renderer', async () => {
  const { s, call } = services(tempDir('svc-bad'));
  try {
    await assert.rejects(call('pacs:pull', { node: { url: 'ftp://x' }, studyUid: '1.2' }), (e: Error & { code?: string }) => e.code === 'bad-input' && /neither a DICOMweb root/.test(e.message));
    await assert.rejects(call('pacs:push', { node: { url: orthanc.dicomWeb }, files: ['/etc/passwd'] } as never), (e: Error & { code?: string }) => e.code === 'invalid-request' && /files/.test(e.message), 'the renderer sends findings, not arbitrary files');
    await assert.rejects(call('pacs:search', { node: { url: orthanc.dicomWeb }, query: { date: 'last week' } }), (e: Error & { code?: string }) => e.code === 'bad-input' && /not a date or range/.test(e.message));
    const { jobId } = await call('pacs:push', { node: { url: orthanc.dicomWeb }, findingId: 'no-such-finding' });
    const st = await until(() => call('pacs:poll', { jobId }), (x) => x.state !== 'running');
    assert.equal(st.state, 'failed');
    assert.match(st.state === 'failed' ? st.error.message : '', /no audit database is configured/);
  } finally {
    await s.dispose();
  }
});

test('each transfer is an audit event: who, which study, which node, what moved, how it ended (a refusal too)', async () => {
  const dir = tempDir('svc-audit');
  const db = join(dir, 'audit.sqlite');
  const { s, call } = services(join(dir, 'cache'), db);
  try {
    const done = async (jobId: string) => until(() => call('pacs:poll', { jobId }), (st) => st.state !== 'running');
    assert.equal((await done((await call('pacs:pull', { node: { url: orthanc.dicomWeb }, studyUid: multi.studyUid, user: 'Dr. Svc' })).jobId)).state, 'done');
    assert.equal((await done((await call('pacs:pull', { node: { url: orthanc.dicomWeb }, studyUid: '1.2.3.4.5' })).jobId)).state, 'failed');
    // A finding on the pulled scan, then its results sent back.
    const scan = await call('scan:open', { path: join(dir, 'cache', multi.studyUid, `${multi.sopInstanceUids[0]}.dcm`) });
    const { jobId: explainJob } = await call('explain:start', { scanId: scan.id, text: 'Cardiomegaly.', steps: 2 });
    let explained = await call('explain:poll', { jobId: explainJob });
    for (let i = 0; i < 1000 && explained.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      explained = await call('explain:poll', { jobId: explainJob });
    }
    if (explained.state !== 'done') throw new Error(`explain: ${JSON.stringify(explained)}`);
    const explanation = explained.explanation;
    const finding = await call('finding:record', { explanationId: explanation.id, reviewer: 'Dr. Svc', decision: 'agree' });
    assert.equal((await done((await call('pacs:push', { node: { url: orthanc.dicomWeb }, findingId: finding.findingId, user: 'Dr. Svc' })).jobId)).state, 'done');
    const { rows, chain } = await call('audit:list', {});
    assert.equal(chain.ok, true);
    const pacsRows = rows.filter((r) => r.action.startsWith('pacs.'));
    assert.deepEqual(pacsRows.map((r) => r.action).reverse(), ['pacs.pull', 'pacs.pull', 'pacs.push']);
    assert.equal(pacsRows[2]!.actor, 'Dr. Svc');
    assert.match(pacsRows[1]!.actor, /\(computer account\)$/, 'nobody named: this computer\'s account');
  } finally {
    await s.dispose();
  }
  const store = AuditStore.open(db, { readOnly: true });
  const payloads = store.events().filter((e) => e.action.startsWith('pacs.')).map((e) => JSON.parse(e.payload!) as Record<string, unknown>);
  store.close();
  assert.deepEqual(payloads.map((p) => [p.direction, p.outcome, p.studyUids, (p.instances as string[]).length]), [
    ['pull', 'success', [multi.studyUid], 8],
    ['pull', 'failed', ['1.2.3.4.5'], 0],
    ['push', 'success', [multi.studyUid], 5],
  ]);
  assert.deepEqual(payloads[0]!.instances, multi.sopInstanceUids);
  assert.equal(payloads[0]!.node, orthanc.dicomWeb);
  assert.match(String(payloads[1]!.reason), /has no study 1\.2\.3\.4\.5/);
});
