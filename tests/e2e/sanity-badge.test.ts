/**
 * The sanity check in the workspace, in Chromium against the real services: off by default (no
 * extra runs); asked for with its checkbox, a model whose top vision layer is bypassed (its map
 * cannot depend on that layer's weights) gets the warning badge over the map and a failed line in
 * the result; the demo model's NIB map passes and has no badge.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Explanation } from '../../electron/api/contract';
import { openWorkspace, serverExplanation, type Workspace } from './harness';
import { testTempDir } from '../temp-dir';
import { join } from 'node:path';
import { DEMO_BUNDLE, writeBypassedBundle } from '../explain/bypassed-bundle';

const SENTENCE = 'Solitary nodule in the right upper zone.';
const opened: Workspace[] = [];
after(async () => {
  for (const ws of opened) await ws.close().catch(() => undefined);
});

async function start(modelDir: string): Promise<Workspace> {
  const ws = await openWorkspace({ modelDir, dbPath: join(testTempDir('candor-sanity-'), 'audit.sqlite') });
  opened.push(ws);
  await ws.page.goto(ws.host.url);
  await ws.page.getByTestId('scan-title').waitFor();
  await ws.page.getByTestId('report-text').fill(SENTENCE);
  await ws.page.getByTestId('explain-target').selectOption('image');
  return ws;
}

async function explain(ws: Workspace): Promise<Explanation> {
  const jobId = await ws.startsJob(() => ws.page.getByTestId('explain-button').click());
  const e = await serverExplanation(ws, jobId);
  await ws.page.getByTestId('explain-shown').waitFor();
  return e;
}

test('a model whose top layer is bypassed: no check unless asked; asked, the badge says the map does not depend on the learned weights', async () => {
  const ws = await start(await writeBypassedBundle([5]));
  const { page } = ws;
  assert.equal(await page.getByTestId('explain-sanity').isChecked(), false, 'off by default: it costs a run per layer');
  const plain = await explain(ws);
  assert.equal(plain.sanity, undefined);
  assert.equal(await page.getByTestId('sanity-result').count(), 0);
  assert.equal(await page.getByTestId('sanity-badge').count(), 0);

  await page.getByTestId('explain-sanity').check();
  const e = await explain(ws);
  assert.equal(e.sanity?.image?.passed, false);
  assert.equal(e.sanity?.image?.spearman[0], 1);
  const badge = page.getByTestId('sanity-badge');
  await badge.waitFor();
  assert.equal(await badge.innerText(), '⚠ this map does not depend on the model’s learned weights');
  assert.equal(await page.getByTestId('sanity-image').getAttribute('data-passed'), 'false');
  assert.match(await page.getByTestId('sanity-image').innerText(), /Image map: FAILED .*ρ 1\.000, /);
  // The badge lies over the viewer, on screen.
  const stage = (await page.getByTestId('viewer-stage').boundingBox())!;
  const b = (await badge.boundingBox())!;
  assert.ok(b.y >= stage.y && b.y + b.height <= stage.y + stage.height + 40 && b.width > 50, `badge ${JSON.stringify(b)} over the viewer ${JSON.stringify(stage)}`);
  await ws.screenshot('sanity-badge-failed');

  // Recorded, the auditor sees the same figures and the same badge.
  await ws.call('finding:record', { explanationId: e.id, reviewer: 'Dr. Sanity', decision: 'disagree', note: '' });
  await page.getByTestId('audit-tab').click();
  await page.getByTestId('audit-row').first().click();
  await page.getByTestId('audit-detail').waitFor();
  assert.match(await page.getByTestId('audit-sanity-image').innerText(), new RegExp(`Image map: FAILED .*ρ 1\\.000, ${e.sanity!.image!.spearman[1]!.toFixed(3)}`));
  assert.equal(await page.getByTestId('audit-sanity-badge').innerText(), '⚠ this map does not depend on the model’s learned weights');
  await ws.screenshot('sanity-badge-audit');
});

test('the demo model: NIB passes the check, its figures are shown and there is no badge', async () => {
  const ws = await start(DEMO_BUNDLE);
  const { page } = ws;
  await page.getByTestId('explain-sanity').check();
  const e = await explain(ws);
  assert.equal(e.sanity?.image?.passed, true);
  await page.getByTestId('sanity-image').waitFor();
  assert.equal(await page.getByTestId('sanity-image').getAttribute('data-passed'), 'true');
  assert.match(await page.getByTestId('sanity-image').innerText(), new RegExp(`Image map: passed .*ρ ${e.sanity!.image!.spearman[0].toFixed(3)}`));
  assert.equal(await page.getByTestId('sanity-badge').count(), 0);
  await ws.screenshot('sanity-passed');
});
