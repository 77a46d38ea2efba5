/**
 * The workspace at 1280×720, a common laptop screen: each toolbar in one row, the image as tall as
 * the window allows, and "Record finding" on screen without scrolling, with an explanation shown.
 * Boxes are measured in Chromium; screenshots are left in tests/output/ to be looked at.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { openWorkspace, sharedDir, type Workspace } from './harness';
import { resolveResources } from '../../electron/paths';
import { repoRoot } from '../../electron/version';
import { testTempDir } from '../temp-dir';

const resources = resolveResources(repoRoot());
let ws: Workspace;

before(async () => {
  const tmp = testTempDir('candor-layout-');
  ws = await openWorkspace({ modelDir: resources.demoBundle, samplesIndex: resources.samplesIndex, dbPath: join(tmp, 'audit.sqlite') });
  await ws.page.setViewportSize({ width: 1280, height: 720 });
  await ws.page.goto(ws.host.url);
  await ws.page.getByTestId('scan-title').waitFor();
});
after(async () => {
  await ws?.close();
});

/** A bar is one row when it is no taller than its tallest control plus its padding. */
async function oneRow(bar: Locator, name: string): Promise<void> {
  const { height, tallest } = await bar.evaluate((el) => {
    const kids = [...el.querySelectorAll('button, input, select, label, span, strong, canvas')].filter((k) => (k as HTMLElement).offsetParent !== null);
    return { height: el.getBoundingClientRect().height, tallest: Math.max(...kids.map((k) => k.getBoundingClientRect().height)) };
  });
  assert.ok(height <= tallest + 16, `${name} is one row: ${height.toFixed(0)} px for controls ${tallest.toFixed(0)} px tall`);
}

/** The element is inside the window and is what the reviewer sees at its centre (not scrolled away or covered). */
async function onScreen(el: Locator, name: string): Promise<void> {
  const box = (await el.boundingBox())!;
  assert.ok(box.y >= 0 && box.y + box.height <= 720 && box.x >= 0 && box.x + box.width <= 1280, `${name} inside 1280×720: ${JSON.stringify(box)}`);
  const hit = await el.evaluate((e) => {
    const r = e.getBoundingClientRect();
    const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return top !== null && (top === e || e.contains(top));
  });
  assert.ok(hit, `${name} is visible, not scrolled out of its panel or covered`);
}

test('at 1280×720 each toolbar is one row, the image is tall and "Record finding" is on screen', async (t) => {
  const { page } = ws;
  await page.getByTestId('sentence').first().click();
  await page.getByTestId('shaded-text').waitFor({ timeout: 120_000 });
  await ws.screenshot('70-layout-1280x720-explained');
  await oneRow(page.getByTestId('toolbar'), 'the main toolbar');
  await oneRow(page.getByTestId('viewer-bar'), 'the viewer bar');
  await oneRow(page.getByTestId('overlay-controls'), 'the overlay bar');
  await onScreen(page.getByTestId('record-finding'), '"Record finding"');
  await onScreen(page.getByTestId('explain-button'), 'the Explain button');
  const scroll = await page.evaluate(() => ({ h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth }));
  assert.ok(scroll.h <= 720 && scroll.w <= 1280, `the page itself does not scroll: ${JSON.stringify(scroll)}`);
  const stage = (await page.getByTestId('viewer-stage').boundingBox())!;
  t.diagnostic(`image area ${stage.width.toFixed(0)}×${stage.height.toFixed(0)} px at 1280×720`);
  assert.ok(stage.height >= 580, `the image area is ${stage.height.toFixed(0)} px tall (was 532 with three toolbar rows)`);
});

test('at 1280×720 a CT with all its window presets still has one-row toolbars', async () => {
  const { page } = ws;
  await page.getByTestId('path-input').fill(join(sharedDir(), 'fixtures', 'dicom', 'ct_signed_rescale_windows.dcm'));
  await page.getByTestId('path-input').press('Enter');
  await page.getByTestId('scan-title').filter({ hasText: 'ct_signed_rescale_windows.dcm' }).waitFor();
  await ws.screenshot('71-layout-1280x720-ct');
  assert.equal(await page.getByTestId('preset').count(), 6, 'two DICOM presets, full range and the three CT presets they do not repeat');
  await oneRow(page.getByTestId('toolbar'), 'the main toolbar');
  await oneRow(page.getByTestId('viewer-bar'), 'the viewer bar');
  await onScreen(page.getByTestId('record-finding'), '"Record finding"');
  assert.deepEqual(ws.pageErrors, []);
});

test('the toolbar buttons do not move when the model finishes loading (a click during loading lands where the reader aimed)', async () => {
  const { page } = ws;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const isInfo = (url: URL) => url.pathname === `/api/${encodeURIComponent('app:info')}`;
  await page.route(isInfo, async (route) => {
    await held;
    await route.continue();
  });
  await page.reload();
  await page.getByTestId('model-info').filter({ hasText: 'loading…' }).waitFor();
  const controls = ['review-tab', 'audit-tab', 'pacs-button', 'toolbar-export', 'path-input', 'open-button', 'help-button'];
  const boxes = async () => {
    const out: Record<string, string> = {};
    for (const id of controls) {
      const b = await page.getByTestId(id).boundingBox();
      assert.ok(b, `${id} is shown`);
      out[id] = `${b.x.toFixed(1)},${b.y.toFixed(1)} ${b.width.toFixed(1)}×${b.height.toFixed(1)}`;
    }
    return out;
  };
  const loading = await boxes();
  release();
  await page.getByTestId('provider').filter({ hasText: 'provider:' }).waitFor();
  await page.getByTestId('model-info').filter({ hasText: /^model / }).waitFor();
  assert.deepEqual(await boxes(), loading, 'every toolbar control keeps its place and size once the model name and provider appear');
  await page.unroute(isInfo);
});
