// DIMSE against real peers: Orthanc as C-FIND / C-GET / C-MOVE SCP, DCMTK's storescp as C-STORE SCP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { connect, pullStudy, pushFiles, searchStudies } from '../../electron/pacs/index';
import { errorCode } from '../../native-models/errors';
import { freePort, startOrthanc, type Orthanc } from './orthanc';
import { demoScan, multiInstanceStudy, pixelDataOf, startStorescp, tagOf, tempDir, type StoreScp } from './helpers';
import { sharedPacsTests, type SuiteContext } from './suite';

let orthanc: Orthanc;
let storescp: StoreScp;
let movePort: number;
let base: Omit<SuiteContext, 'node'>;

before(async () => {
  movePort = await freePort();
  orthanc = await startOrthanc({ modalities: { candor: { aet: 'CANDOR', port: movePort } } });
  storescp = await startStorescp();
  const multi = multiInstanceStudy(tempDir('dimse-multi'), 4);
  await orthanc.upload(demoScan(1), demoScan(2), demoScan(3), ...multi.files);
  base = { orthanc, multi, demoUids: [1, 2, 3].map((n) => tagOf(demoScan(n), '0020000D')!) };
});
after(async () => {
  await storescp?.stop();
  await orthanc?.stop();
});

sharedPacsTests('DIMSE C-GET', () => ({ ...base, node: { url: orthanc.dimseUrl, callingAet: 'CANDOR' } }));
sharedPacsTests('DIMSE C-MOVE', () => ({ ...base, node: { url: orthanc.dimseUrl, callingAet: 'CANDOR', movePort } }), { retrieveOnly: true });

const FAST = { idleMs: 3000 };
const failure = (p: Promise<unknown>) => p.then(() => assert.fail('expected a failure'), (e: Error) => e);

test('DIMSE: a wrong called AE title is refused by the node, and the message says to check it', async () => {
  const url = orthanc.dimseUrl.replace('ORTHANC@', 'NOT_ORTHANC@');
  const err = await failure(searchStudies(connect({ url, callingAet: 'CANDOR' }, FAST), {}));
  assert.equal(errorCode(err), 'unavailable');
  assert.match(err.message, /refused the association \(permanent\): .*called AE title.*\(check the AE title "NOT_ORTHANC"\)/);
});

test('DIMSE: a calling AE title the node does not know is refused, naming it', async () => {
  const err = await failure(searchStudies(connect({ url: orthanc.dimseUrl, callingAet: 'STRANGER' }, FAST), {}));
  assert.equal(errorCode(err), 'unavailable');
  assert.match(err.message, /STRANGER/);
});

test('DIMSE: a C-MOVE storage port already in use is reported before anything is asked', async () => {
  const busy = createServer();
  const port = await new Promise<number>((ok) => busy.listen(0, '127.0.0.1', () => ok((busy.address() as { port: number }).port)));
  try {
    const cache = tempDir('busy');
    const err = await failure(pullStudy(connect({ url: orthanc.dimseUrl, callingAet: 'CANDOR', movePort: port }, FAST), base.demoUids[0]!, cache));
    assert.equal(errorCode(err), 'unavailable');
    assert.match(err.message, new RegExp(`storage port ${port} is in use`));
  } finally {
    busy.close();
  }
});

test('DIMSE: C-STORE to DCMTK storescp delivers the instance with its pixel data', async () => {
  const r = await pushFiles(connect({ url: storescp.url, callingAet: 'CANDOR' }, FAST), [demoScan(1), demoScan(3)]);
  assert.deepEqual(r.failed, []);
  assert.equal(r.sent.length, 2);
  const files = storescp.files();
  const got = files.map((f) => tagOf(f, '00080018')).sort();
  assert.deepEqual(got, [tagOf(demoScan(1), '00080018'), tagOf(demoScan(3), '00080018')].sort());
  for (const f of files) {
    const src = [demoScan(1), demoScan(3)].find((s) => tagOf(s, '00080018') === tagOf(f, '00080018'))!;
    assert.ok(pixelDataOf(f).equals(pixelDataOf(src)), `${f}: pixel data as sent`);
    assert.equal(tagOf(f, '0020000D'), tagOf(src, '0020000D'));
  }
});
