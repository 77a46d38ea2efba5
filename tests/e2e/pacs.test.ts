/**
 * The PACS panel in Chromium against a real Orthanc: a node that is down says so; search finds
 * the demo study; Open pulls it into the cache and shows it in the viewer and the study list;
 * it is explained and recorded; Send files the finding's report (Encapsulated PDF) in the same
 * study on Orthanc, checked through Orthanc's own REST API. Screenshots in tests/output/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canvasPixels, canvasStats, openWorkspace, waitForModel, type Workspace } from './harness';
import { freePort, startOrthanc, type Orthanc } from '../pacs/orthanc';
import { demoScan, tagOf } from '../pacs/helpers';

let ws: Workspace;
let orthanc: Orthanc;
let tmp: string;
const STUDY = tagOf(demoScan(3), '0020000D')!;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'candor-e2e-pacs-'));
  orthanc = await startOrthanc();
  await orthanc.upload(demoScan(3), demoScan(1));
  ws = await openWorkspace({ samplesIndex: null, dbPath: join(tmp, 'audit.sqlite'), pacsCacheDir: join(tmp, 'cache'), pacsTimeouts: { idleMs: 3000 } });
  await ws.page.goto(ws.host.url);
  await waitForModel(ws.page);
});
after(async () => {
  await ws?.close();
  await orthanc?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function openPanel(): Promise<void> {
  await ws.page.getByTestId('pacs-button').click();
  await ws.page.getByTestId('pacs-panel').waitFor();
}

test('PACS panel: a node that is down gives a clear message, and the workspace keeps running', async () => {
  const { page } = ws;
  await openPanel();
  await page.getByTestId('pacs-url').fill(`http://127.0.0.1:${await freePort()}/dicom-web`);
  await page.getByTestId('pacs-search').click();
  const msg = page.getByTestId('pacs-message');
  await msg.waitFor();
  assert.match(await msg.innerText(), /refused the connection: nothing listens on 127\.0\.0\.1:\d+/);
  assert.equal(await page.getByTestId('pacs-results').count(), 0);
  await ws.screenshot('40-pacs-node-down');
});

test('PACS panel: search by patient ID lists the study with its attributes', async () => {
  const { page } = ws;
  await page.getByTestId('pacs-url').fill(orthanc.dicomWeb);
  await page.getByTestId('pacs-user').fill('Dr. PACS Reviewer');
  await page.getByTestId('pacs-patientId').fill('CANDOR-DEMO-03');
  await page.getByTestId('pacs-search').click();
  await page.getByTestId('pacs-results').waitFor();
  const rows = page.getByTestId('pacs-study');
  assert.equal(await rows.count(), 1);
  const text = await rows.first().innerText();
  for (const part of ['20260101', 'Phantom^demo03', 'CANDOR-DEMO-03', 'CR', 'DEMO303']) assert.ok(text.includes(part), `${part} in "${text}"`);
  assert.match(await page.getByTestId('pacs-message').innerText(), /1 study on http:\/\/127\.0\.0\.1:\d+\/dicom-web/);
  await ws.screenshot('41-pacs-search');
});

test('PACS panel: Open pulls the study into the cache and shows it in the viewer and the study list', async () => {
  const { page } = ws;
  await page.getByTestId('pacs-open').click();
  await page.getByTestId('pacs-panel').waitFor({ state: 'detached', timeout: 30_000 });
  await page.getByTestId('scan-title').waitFor();
  const stats = await canvasStats(page);
  assert.ok(stats.std > 5, `the pulled scan is drawn with structure, std=${stats.std}`);
  const study = page.getByTestId('study');
  assert.equal(await study.count(), 1);
  assert.match(await study.first().innerText(), /PACS · Phantom demo03 · 2026-01-01 · CR/);
  assert.deepEqual(readdirSync(join(tmp, 'cache')), [STUDY], 'the cache holds the complete study and nothing else');
  await ws.screenshot('42-pacs-opened');
});

test('PACS panel: the pulled scan is explained and recorded, and Send files its report in the same study on Orthanc', async () => {
  const { page } = ws;
  await page.getByTestId('report-text').fill('Moderate right-sided pneumothorax.');
  await page.getByTestId('explain-button').click();
  await page.getByTestId('shaded-text').waitFor({ timeout: 120_000 });
  const overlay = await canvasPixels(page, 'overlay-canvas');
  assert.ok(overlay.covered > 0.01, `the heat map is drawn over the pulled scan (${overlay.covered})`);
  await page.getByTestId('reviewer').fill('Dr. PACS Reviewer');
  await page.getByTestId('decision-agree').check();
  await page.getByTestId('record-finding').click();
  await page.getByTestId('finding-result').waitFor();
  await ws.screenshot('43-pacs-explained-recorded');

  const before = await orthanc.instanceUids(STUDY);
  assert.equal(before.length, 1);
  await openPanel();
  const send = page.getByTestId('pacs-send');
  assert.match(await send.innerText(), /Send results of finding #\d+/);
  await send.click();
  const msg = page.getByTestId('pacs-message');
  await page.waitForFunction(() => /Sent|NOT sent|PACS node/.test(document.querySelector('[data-testid="pacs-message"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
  assert.match(await msg.innerText(), new RegExp(`Sent 5 object\\(s\\) to .*study ${STUDY.replace(/\./g, '\\.')}`));
  await ws.screenshot('44-pacs-sent');

  const after = await orthanc.instanceUids(STUDY);
  assert.equal(after.length, 6, 'five objects more in the study: the map objects, the SR and the PDF');
  const added = after.filter((u) => !before.includes(u));
  const found = await Promise.all(
    added.map(async (uid) => {
      const [oid] = await orthanc.rest<string[]>('/tools/find', { method: 'POST', body: JSON.stringify({ Level: 'Instance', Query: { SOPInstanceUID: uid } }) });
      return { id: oid!, tags: await orthanc.rest<Record<string, string>>(`/instances/${oid}/simplified-tags`) };
    }),
  );
  for (const f of found) assert.equal(f.tags.StudyInstanceUID, STUDY);
  assert.deepEqual(found.map((f) => f.tags.SOPClassUID).sort(), ['1.2.840.10008.5.1.4.1.1.104.1', '1.2.840.10008.5.1.4.1.1.30', '1.2.840.10008.5.1.4.1.1.66.4', '1.2.840.10008.5.1.4.1.1.7', '1.2.840.10008.5.1.4.1.1.88.33']);
  const { id, tags } = found.find((f) => f.tags.SOPClassUID === '1.2.840.10008.5.1.4.1.1.104.1')!;
  assert.equal(tags.SOPClassUID, '1.2.840.10008.5.1.4.1.1.104.1', 'an Encapsulated PDF');
  assert.equal(tags.StudyInstanceUID, STUDY);
  assert.equal(tags.PatientID, 'CANDOR-DEMO-03');
  assert.equal(tags.MIMETypeOfEncapsulatedDocument, 'application/pdf');
  const pdf = Buffer.from(await (await fetch(`${orthanc.http}/instances/${id}/pdf`)).arrayBuffer());
  assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-', 'Orthanc hands back the PDF');
  assert.ok(existsSync(join(tmp, 'cache', STUDY)));

  // The audit log lists the pull, the finding and the push, by the reviewer, in an intact chain.
  await page.getByTestId('pacs-panel').press('Escape');
  await page.getByTestId('audit-tab').click();
  await page.getByTestId('audit-row').filter({ hasText: 'pacs.push' }).waitFor({ timeout: 10_000 });
  const rows = await page.getByTestId('audit-row').allInnerTexts();
  const pacsRows = rows.filter((r) => /pacs\./.test(r));
  assert.equal(pacsRows.length, 2, rows.join('\n'));
  assert.match(pacsRows[0]!, /Dr\. PACS Reviewer.*pacs\.push/s);
  assert.match(pacsRows[1]!, /Dr\. PACS Reviewer.*pacs\.pull/s);
  await ws.screenshot('45-pacs-audit-log');
  assert.deepEqual(ws.pageErrors, []);
});
