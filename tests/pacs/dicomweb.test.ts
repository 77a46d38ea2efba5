// DICOMweb (QIDO-RS, WADO-RS, STOW-RS) against a real Orthanc with its DICOMweb plugin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, pushFiles, searchStudies } from '../../electron/pacs/index';
import { errorCode } from '../../native-models/errors';
import { startOrthanc, type Orthanc } from './orthanc';
import { demoScan, multiInstanceStudy, tagOf, tempDir } from './helpers';
import { sharedPacsTests, type SuiteContext } from './suite';

let ctx: SuiteContext;
let orthanc: Orthanc;

before(async () => {
  orthanc = await startOrthanc();
  const multi = multiInstanceStudy(tempDir('web-multi'), 4);
  await orthanc.upload(demoScan(1), demoScan(2), demoScan(3), ...multi.files);
  ctx = { orthanc, node: { url: orthanc.dicomWeb }, multi, demoUids: [1, 2, 3].map((n) => tagOf(demoScan(n), '0020000D')!) };
});
after(async () => {
  await orthanc?.stop();
});

sharedPacsTests('DICOMweb', () => ctx);

test('DICOMweb: a wrong root says so (HTTP 404, check the URL)', async () => {
  const err = await searchStudies(connect({ url: `${orthanc.http}/not-dicom-web` }, { idleMs: 3000 }), {}).then(
    () => assert.fail('expected a failure'),
    (e: Error) => e,
  );
  assert.equal(errorCode(err), 'unavailable');
  assert.match(err.message, /HTTP 404, no such DICOMweb resource \(check the root URL\)/);
});

test('DICOMweb: a file that is not DICOM is refused before anything is sent, naming it', async () => {
  const bad = join(tempDir('web-bad'), 'notes.txt');
  writeFileSync(bad, 'not an image');
  const before = await orthanc.rest<string[]>('/instances');
  const err = await pushFiles(connect({ url: orthanc.dicomWeb }), [demoScan(1), bad]).then(
    () => assert.fail('expected a failure'),
    (e: Error) => e,
  );
  assert.equal(errorCode(err), 'bad-input');
  assert.match(err.message, /notes\.txt: not a DICOM Part 10 file/);
  assert.deepEqual(await orthanc.rest<string[]>('/instances'), before, 'nothing was stored');
});
