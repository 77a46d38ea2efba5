/**
 * What every protocol must do the same against a real Orthanc: search, pull complete and exact,
 * report progress, say clearly when a study is missing or changes mid-transfer, stop on cancel,
 * and leave nothing half-written in the cache. dicomweb.test.ts and dimse.test.ts run it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { connect, pullStudy, pushFiles, searchStudies, type NodeConfig, type TransferProgress } from '../../electron/pacs/index';
import { CancelledError, errorCode } from '../../native-models/errors';
import { freePort, type Orthanc } from './orthanc';
import { demoScan, deriveInstance, newUid, pixelDataOf, tagOf, tempDir } from './helpers';

export interface SuiteContext {
  orthanc: Orthanc;
  /** The node to test, as the user would configure it. */
  node: NodeConfig;
  /** A four-instance study (two series) already in Orthanc. */
  multi: { studyUid: string; files: string[]; sopInstanceUids: string[] };
  /** The demo studies already in Orthanc: demo-01 … demo-03. */
  demoUids: string[];
}

const FAST = { idleMs: 3000 };

async function rejects(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected a failure');
}

/** Nothing but complete study folders in the cache (no `.partial-…` or `.old-…` left behind). */
function assertCacheClean(cache: string, studies: string[]): void {
  assert.deepEqual(readdirSync(cache).sort(), [...studies].sort(), `cache ${cache} holds ${readdirSync(cache).join(', ')}`);
}

/** `retrieveOnly`: the pull tests alone (a second retrieve mode of a protocol whose search and push are already covered). */
export function sharedPacsTests(name: string, ctx: () => SuiteContext, opts: { retrieveOnly?: boolean } = {}): void {
  const other = (title: string, fn: () => Promise<void>) => {
    if (!opts.retrieveOnly) test(title, fn);
  };
  other(`${name}: search by patient ID finds the demo study with its attributes`, async () => {
    const c = ctx();
    const matches = await searchStudies(connect(c.node, FAST), { patientId: 'CANDOR-DEMO-01' });
    assert.equal(matches.length, 1);
    const m = matches[0]!;
    assert.equal(m.studyUid, c.demoUids[0]);
    assert.equal(m.patientName, 'Phantom^demo01');
    assert.equal(m.accession, 'DEMO101');
    assert.equal(m.studyDate, '20260101');
    assert.deepEqual(m.modalities, ['DX']);
    assert.equal(m.instances, 1);
  });

  other(`${name}: name wildcards, date ranges, modality and accession narrow the matches`, async () => {
    const c = ctx();
    const client = connect(c.node, FAST);
    const uids = async (q: Parameters<typeof searchStudies>[1]) => (await searchStudies(client, q)).map((m) => m.studyUid).sort();
    // Case-insensitive, as the standard's PN matching allows (Orthanc's QIDO does not combine ^ with *).
    assert.deepEqual(await uids({ patientName: 'PHANTOM*' }), [...c.demoUids].sort());
    assert.deepEqual(await uids({ patientName: 'Multi*' }), [c.multi.studyUid]);
    assert.deepEqual(await uids({ date: '20250101-20251231' }), [c.multi.studyUid]);
    assert.deepEqual(await uids({ date: '20260101-' }), [...c.demoUids].sort());
    assert.deepEqual(await uids({ modality: 'CR' }), [c.demoUids[2]]);
    assert.deepEqual(await uids({ accession: 'MULTI1' }), [c.multi.studyUid]);
    assert.deepEqual(await uids({ patientId: 'NOBODY' }), []);
    assert.equal((await searchStudies(client, { limit: 2 })).length, 2, 'the limit caps the matches');
  });

  test(`${name}: a pull writes every instance, data set intact, into cache/<uid>, with progress`, async () => {
    const c = ctx();
    const cache = tempDir('pull');
    const seen: TransferProgress[] = [];
    const r = await pullStudy(connect(c.node, FAST), c.multi.studyUid, cache, { onProgress: (p) => void seen.push(p) });
    assert.equal(r.dir, join(cache, c.multi.studyUid));
    assert.equal(r.files.length, 4);
    const got = r.files.map((f) => tagOf(f, '00080018')!).sort();
    assert.deepEqual(got, c.multi.sopInstanceUids);
    assert.deepEqual(await c.orthanc.instanceUids(c.multi.studyUid), got, 'exactly what Orthanc holds');
    for (const f of r.files) {
      const sop = tagOf(f, '00080018')!;
      const original = c.multi.files[c.multi.sopInstanceUids.indexOf(sop)] ?? c.multi.files.find((x) => tagOf(x, '00080018') === sop)!;
      assert.ok(pixelDataOf(f).equals(pixelDataOf(original)), `${sop}: pixel data as uploaded`);
      assert.equal(tagOf(f, '0020000D'), c.multi.studyUid);
    }
    assert.equal(seen.at(-1)?.done, 4);
    assert.ok(seen.some((p) => p.total === 4), 'the total is known during the transfer');
    assert.ok(r.bytes > 4 * 290_000);
    assertCacheClean(cache, [c.multi.studyUid]);
    // A second pull replaces the first, still complete.
    const again = await pullStudy(connect(c.node, FAST), c.multi.studyUid, cache);
    assert.equal(again.files.length, 4);
    assertCacheClean(cache, [c.multi.studyUid]);
  });

  test(`${name}: a study the node does not have is not-found, and nothing is left in the cache`, async () => {
    const c = ctx();
    const cache = tempDir('missing');
    const uid = newUid();
    const err = await rejects(pullStudy(connect(c.node, FAST), uid, cache));
    assert.equal(errorCode(err), 'not-found', err.message);
    assert.match(err.message, new RegExp(`no study ${uid.replace(/\./g, '\\.')}`));
    assertCacheClean(cache, []);
  });

  test(`${name}: cancel after the first instance stops the transfer and keeps nothing`, async () => {
    const c = ctx();
    const cache = tempDir('cancel');
    const ctrl = new AbortController();
    let after = 0;
    const err = await rejects(
      pullStudy(connect(c.node, FAST), c.multi.studyUid, cache, {
        signal: ctrl.signal,
        onProgress: (p) => {
          if (ctrl.signal.aborted) after++;
          if (p.done >= 1) ctrl.abort();
        },
      }),
    );
    assert.ok(err instanceof CancelledError, `${err.constructor.name}: ${err.message}`);
    assert.equal(after, 0, `${after} instance(s) reported after cancel`);
    assertCacheClean(cache, []);
  });

  test(`${name}: a study deleted during the transfer fails clearly and keeps nothing`, async () => {
    const c = ctx();
    const dir = tempDir('vanish');
    const study = newUid();
    const made = [0, 1, 2, 3].map((i) => deriveInstance(demoScan(5), join(dir, `v${i}.dcm`), { study, series: study + '.1', patientName: 'Vanishing^Study', patientId: 'VANISH' }));
    await c.orthanc.upload(...made.map((m) => m.file));
    const cache = tempDir('vanish-cache');
    let deleted = false;
    const err = await rejects(
      pullStudy(connect(c.node, FAST), study, cache, {
        onProgress: async (p) => {
          if (p.done >= 1 && !deleted) {
            deleted = true;
            await c.orthanc.rest(`/studies/${await c.orthanc.studyId(study)}`, { method: 'DELETE' });
          }
        },
      }),
    );
    assert.ok(deleted, 'the study was deleted mid-transfer');
    assert.equal(errorCode(err), 'not-found', err.message);
    assert.match(err.message, /during the transfer/);
    assert.match(err.message, /nothing was kept/);
    assertCacheClean(cache, []);
  });

  other(`${name}: a node that is down, or silent, gives a clear message within the time limit`, async () => {
    const c = ctx();
    const port = await freePort();
    const swap = (url: string, p: number) => url.replace(/:\d+(\/|$)/, `:${p}$1`);
    const down = await rejects(searchStudies(connect({ ...c.node, url: swap(c.node.url, port) }, FAST), {}));
    assert.equal(errorCode(down), 'unavailable');
    assert.match(down.message, /refused the connection: nothing listens on 127\.0\.0\.1:\d+/);

    // A peer that accepts the connection and then says nothing.
    const sockets: import('node:net').Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s));
    const silentPort = await new Promise<number>((ok) => silent.listen(0, '127.0.0.1', () => ok((silent.address() as { port: number }).port)));
    try {
      const t0 = Date.now();
      const quiet = await rejects(searchStudies(connect({ ...c.node, url: swap(c.node.url, silentPort) }, { idleMs: 1000 }), {}));
      const took = Date.now() - t0;
      assert.equal(errorCode(quiet), 'unavailable');
      assert.match(quiet.message, /did not answer within 1 s/);
      assert.ok(took < 4000, `gave up after ${took} ms`);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  other(`${name}: an instance pushed back lands in Orthanc under the same study`, async () => {
    const c = ctx();
    const dir = tempDir('push');
    const derived = deriveInstance(demoScan(2), join(dir, 'copy.dcm'), { series: newUid(), description: 'Candor test copy' });
    const study = c.demoUids[1]!;
    const before = await c.orthanc.instanceUids(study);
    const r = await pushFiles(connect(c.node, FAST), [derived.file]);
    assert.deepEqual(r.failed, []);
    assert.deepEqual(r.sent.map((s) => [s.sopInstanceUid, s.studyUid]), [[derived.sopInstanceUid, study]]);
    const after = await c.orthanc.instanceUids(study);
    assert.deepEqual(after, [...before, derived.sopInstanceUid].sort());
    const found = await c.orthanc.rest<{ ParentSeries: string }[]>('/tools/find', { method: 'POST', body: JSON.stringify({ Level: 'Instance', Query: { SOPInstanceUID: derived.sopInstanceUid }, Expand: true }) });
    assert.equal(found.length, 1, 'Orthanc finds the instance');
    const series = await c.orthanc.rest<{ ParentStudy: string }>(`/series/${found[0]!.ParentSeries}`);
    assert.equal(series.ParentStudy, await c.orthanc.studyId(study));
    assert.ok(existsSync(derived.file));
  });
}
