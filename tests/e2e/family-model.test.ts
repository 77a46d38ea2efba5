/**
 * A model of another family in the app, as a user would bring one: the BiomedCLIP-like fixture bundle
 * (post-LN BERT text tower, WordPiece) copied without the harness's record, given to the services as
 * the model folder. The workspace opens a chest radiograph, explains the report (its split words come
 * back as the report's words), records the finding in a real audit log and writes the PDF report,
 * exactly as with the demo model.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { canvasPixels, openWorkspace, sharedDir, type Workspace } from './harness';
import { bundleWithoutRecord, FAMILY_BUNDLES } from '../clip/helpers';

const REPORT = 'Small left pleural effusions; no pneumothorax. Mild cardiomegaly, unchanged since the prior study.';

let ws: Workspace;
let tmp: string;
let modelDir: string;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'candor-family-e2e-'));
  modelDir = bundleWithoutRecord(FAMILY_BUNDLES.biomed);
  writeFileSync(join(tmp, 'chest.txt'), `${REPORT}\n`);
  const scan = join(sharedDir(), 'fixtures', 'dicom', 'chest_explicit_le.dcm');
  writeFileSync(join(tmp, 'index.json'), JSON.stringify({ studies: [{ title: 'Fixture chest', scan, report: 'chest.txt' }] }));
  ws = await openWorkspace({ modelDir, samplesIndex: join(tmp, 'index.json'), dbPath: join(tmp, 'audit.sqlite') });
  await ws.page.goto(ws.host.url);
});
after(async () => {
  await ws?.close();
  rmSync(tmp, { recursive: true, force: true });
  rmSync(modelDir, { recursive: true, force: true });
});

test('the BiomedCLIP-like bundle is the model: the study opens with it named', async () => {
  const { page } = ws;
  await page.getByTestId('scan-title').waitFor();
  assert.match(await page.getByTestId('model-info').innerText(), new RegExp(`model ${basename(modelDir)} · [0-9a-f]{12}`));
  assert.equal((await page.getByTestId('report-text').inputValue()).trim(), REPORT);
});

test('explaining the report: the map is drawn, WordPiece pieces are shaded as the report\'s words', async () => {
  const { page } = ws;
  await page.getByTestId('sentence').first().click();
  await page.getByTestId('shaded-text').waitFor({ timeout: 120_000 });
  const overlay = await canvasPixels(page, 'overlay-canvas');
  assert.ok(overlay.covered > 0.01, `the heat map covers part of the scan (${overlay.covered})`);
  const words = await page.getByTestId('word').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  // The first sentence: effusion ##s, pneumo ##thorax are one word each; punctuation is no word.
  assert.deepEqual(words, ['Small', 'left', 'pleural', 'effusions', 'no', 'pneumothorax']);
  assert.match(await page.getByTestId('similarity').innerText(), /similarity -?\d\.\d{3}/);
  await ws.screenshot('60-family-biomed-explained');
});

test('the finding is recorded and the PDF report carries the model and the merged words', async () => {
  const { page } = ws;
  await page.getByTestId('reviewer').fill('Dr. Family');
  await page.getByTestId('decision-agree').check();
  await page.getByTestId('record-finding').click();
  const result = page.getByTestId('finding-result');
  await result.waitFor();
  assert.match(await result.innerText(), /Saved as entry #\d+ by Dr\. Family \(agree\)/);
  await page.getByTestId('toolbar-export').click();
  const exported = page.getByTestId('toolbar-export-result');
  await exported.waitFor({ timeout: 60_000 });
  const m = /PDF written: (.+\.pdf) \(/.exec(await exported.innerText());
  assert.ok(m && existsSync(m[1]!), `a PDF was written: ${await exported.innerText()}`);
  const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', m[1]!, '-'], { encoding: 'utf8' });
  assert.match(text, new RegExp(`model ${basename(modelDir)}`));
  for (const w of ['effusions', 'pneumothorax']) assert.ok(text.includes(w), `the report text in the PDF has “${w}”`);
  assert.doesNotMatch(text, /##/);
  await ws.screenshot('61-family-biomed-recorded');
  assert.deepEqual(ws.pageErrors, []);
});
