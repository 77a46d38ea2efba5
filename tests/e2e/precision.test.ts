/**
 * The int8 setting in the workspace, in Chromium against the real services: fp32 unless chosen,
 * disabled for a method without it; chosen, the result, the recorded finding, the auditor view
 * and the PDF (read back with pdftotext) all say the map was made at int8.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { exportedEntryPdfText, openWorkspace, serverExplanation, type Workspace } from './harness';
import { testTempDir } from '../temp-dir';
import { decodeWire } from '../../electron/api/wire';
import { DEMO_BUNDLE } from '../explain/bypassed-bundle';

let ws: Workspace | null = null;
after(async () => {
  await ws?.close().catch(() => undefined);
});

test('int8 is opt-in, and an int8 map says so in the result, the audit view and the PDF', async () => {
  ws = await openWorkspace({ modelDir: DEMO_BUNDLE, dbPath: join(testTempDir('candor-int8-e2e-'), 'audit.sqlite') });
  const { page } = ws;
  await page.goto(ws.host.url);
  await page.getByTestId('scan-title').waitFor();
  await page.getByTestId('report-text').fill('Solitary nodule in the right upper zone.');
  const precision = page.getByTestId('explain-precision');
  assert.equal(await precision.inputValue(), 'fp32', 'fp32 unless chosen');
  assert.match((await page.locator('label', { has: precision }).getAttribute('title')) ?? '', /faster only on CPUs with integer dot-product units \(AVX-512 VNNI, AMX\)/);
  await page.getByTestId('explain-method').selectOption('m2ib');
  assert.equal(await precision.isDisabled(), true, 'M2IB has no int8');
  await page.getByTestId('explain-method').selectOption('nib');
  // Chosen, int8's graphs are built before the click (explain:prepare, once the choice has settled).
  const prepare = page.waitForResponse((r) => r.url() === `${ws!.host.origin}/api/${encodeURIComponent('explain:prepare')}`);
  await precision.selectOption('int8');
  const prepared = await prepare;
  assert.deepEqual(decodeWire(prepared.request().postData() ?? ''), { precision: 'int8' });
  assert.deepEqual(decodeWire(await prepared.text()), { ok: true, value: { prepared: true } });

  const jobId = await ws.startsJob(() => page.getByTestId('explain-button').click());
  const e = await serverExplanation(ws, jobId);
  assert.equal(e.params.precision, 'int8');
  await page.getByTestId('explain-shown').waitFor();
  assert.match(await page.getByTestId('explain-shown').innerText(), / · int8$/);
  await ws.screenshot('precision-int8-result');

  await page.getByTestId('reviewer').fill('Dr. Int8');
  await page.getByTestId('decision-agree').check();
  await page.getByTestId('record-finding').click();
  await page.getByTestId('finding-result').waitFor();
  await page.getByTestId('audit-tab').click();
  await page.getByTestId('audit-row').first().click();
  await page.getByTestId('audit-detail').waitFor();
  assert.match(await page.getByTestId('audit-detail').innerText(), /Arithmetic precision\s+int8 weight products, \d-bit weights \(reduced precision/);

  const text = await exportedEntryPdfText(page);
  assert.match(text, /Arithmetic precision int8 weight products, \d-bit weights \(reduced precision: close to fp32, not equal\)/);
  assert.deepEqual(ws.pageErrors, []);
});
