/**
 * "Save as DICOM" in Chromium against the real services: explain a sentence of a demo study,
 * record the finding, save it as DICOM; the panel says where it wrote, and every file written
 * there validates with dciodvfy and opens in Candor's decoder. A screenshot is left in
 * tests/output/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkspace, type Workspace } from './harness';
import { resolveResources } from '../../electron/paths';
import { repoRoot } from '../../electron/version';
import { loadScan } from '../../electron/imaging/index';
import { assertValid } from '../dicom-export/helpers';
import { testTempDir } from '../temp-dir';

let ws: Workspace;
let tmp: string;

before(async () => {
  tmp = testTempDir('candor-dicom-save-');
  const res = resolveResources(repoRoot());
  ws = await openWorkspace({ modelDir: res.demoBundle, samplesIndex: res.samplesIndex, dbPath: join(tmp, 'audit.sqlite') });
  await ws.page.goto(ws.host.url);
});
after(async () => {
  await ws?.close();
});

test('explain a sentence, record the finding, Save as DICOM: the panel names the folder and the files there validate', async () => {
  const { page } = ws;
  await page.getByTestId('study').first().click();
  await page.getByTestId('scan-title').waitFor();
  await page.getByTestId('sentence').filter({ hasText: 'Solitary nodule in the right upper zone.' }).first().click();
  await page.getByTestId('shaded-text').waitFor({ timeout: 120_000 });
  assert.equal(await page.getByTestId('save-dicom').count(), 0, 'nothing to save before the finding is recorded');
  await page.getByTestId('reviewer').fill('Dr. Dee Icom');
  await page.getByTestId('decision-agree').check();
  await page.getByTestId('note').fill('Hot spot on the nodule.');
  await page.getByTestId('record-finding').click();
  const recorded = await page.getByTestId('finding-result').innerText();
  const seq = /entry #(\d+)/.exec(recorded)?.[1];
  assert.ok(seq, recorded);

  await page.getByTestId('save-dicom').click();
  const result = page.getByTestId('dicom-result');
  await result.waitFor({ timeout: 60_000 });
  const text = await result.innerText();
  const folder = join(tmp, 'exports', 'dicom', `candor-finding-${seq}`);
  assert.equal(await page.getByTestId('dicom-folder').innerText(), folder);
  assert.match(text, /Saved 4 DICOM objects \(parametric map, segmentation, secondary capture, structured report\) in/);
  await page.getByTestId('save-dicom-panel').scrollIntoViewIfNeeded();
  await ws.screenshot('60-dicom-saved');

  const files = readdirSync(folder).sort();
  assert.deepEqual(files, ['pm', 'sc', 'seg', 'sr'].map((k) => `candor-finding-${seq}-${k}.dcm`));
  for (const f of files) assertValid(join(folder, f));
  const pm = await loadScan(join(folder, files[0]!));
  assert.equal(pm.header.dtype, 'float32');
  const sc = await loadScan(join(folder, files[1]!));
  assert.equal(sc.summary.channels, 3);
  assert.deepEqual(ws.pageErrors, []);
  assert.ok(ws.requests.every((u) => u.startsWith(ws.host.origin)), 'nothing left the host');
});
