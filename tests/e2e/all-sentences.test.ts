/**
 * The whole report at once in Chromium against the real services and the demo model: Shift+E
 * explains every sentence in one job; the list shows each with its similarity and marks the ones
 * that deny a finding; a click brings a sentence's explanation to the viewer, with the warning that
 * a negated finding's map shows where the model looked for it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { openWorkspace, serverExplanation, type Workspace } from './harness';
import { DEMO_BUNDLE } from '../explain/bypassed-bundle';

const REPORT = 'Solitary nodule in the right upper zone. No mass is seen. There is no pleural effusion. The mediastinum is normal.';
let ws: Workspace | null = null;
after(async () => {
  await ws?.close();
});

test('Shift+E: one job, four sentences listed with their similarity, negated ones marked; a click shows one', async () => {
  ws = await openWorkspace({ modelDir: DEMO_BUNDLE });
  const { page } = ws;
  await page.goto(ws.host.url);
  await page.getByTestId('scan-title').waitFor();
  await page.getByTestId('report-text').fill(REPORT);
  await page.getByTestId('explain-target').selectOption('image');
  await page.getByTestId('viewer-stage').click();
  const jobId = await ws.startsJob(() => page.keyboard.press('Shift+E'));
  const first = await serverExplanation(ws, jobId);
  assert.equal(ws.jobIds.length, 1, 'one job for the whole report');
  const rows = page.getByTestId('sentence-row');
  await rows.nth(3).waitFor();
  assert.equal(await rows.count(), 4);
  assert.deepEqual(await rows.evaluateAll((r) => r.map((x) => (x as HTMLElement).dataset.negated)), ['false', 'true', 'true', 'false']);
  assert.match(await rows.nth(0).innerText(), new RegExp(`^${first.similarity.toFixed(3)} Solitary nodule in the right upper zone\\.`));
  assert.match(await rows.nth(2).innerText(), /There is no pleural effusion\. · negated$/);
  assert.equal(await page.getByTestId('explain-shown').innerText(), 'NIB · layer 4 · steps 10 · image');

  await rows.nth(2).click();
  assert.equal(await rows.nth(2).getAttribute('aria-pressed'), 'true');
  await page.getByTestId('explain-warnings').filter({ hasText: 'the text denies a finding (“no”): the map shows where the model looked for it, not that it is there' }).waitFor();
  await rows.nth(0).click();
  assert.equal(await page.getByTestId('explain-warnings').count(), 0, 'the first sentence states its finding: no such warning');
  await ws.screenshot('all-sentences');
});
