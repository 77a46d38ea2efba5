/**
 * The reader's region, the way a radiologist uses it: open demo-01, explain the nodule's sentence,
 * draw a box around the nodule (from the generator's mask) with the region tool, read the figures
 * next to the map, record the finding; the region and its figures come back the same in the
 * auditor view and in the PDF (read back with pdftotext).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { decode } from 'fast-png';
import { exportedEntryPdfText, openWorkspace, type Workspace } from './harness';
import { resolveResources } from '../../electron/paths';
import { repoRoot } from '../../electron/version';

interface DemoStudy { id: string; title: string; findings: { type: string; sentence: string; mask: string }[] }

const indexFile = resolveResources(repoRoot()).samplesIndex!;
const study = (JSON.parse(readFileSync(indexFile, 'utf8')) as { studies: DemoStudy[] }).studies.find((s) => s.id === 'demo-01')!;
const finding = study.findings[0]!;
const LINES = ['pointingGame', 'pointingGameTolerant', 'relevanceMass', 'relevanceRankAccuracy', 'iouTop'] as const;

let ws: Workspace;
let tmp: string;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'candor-e2e-region-'));
  ws = await openWorkspace({ dbPath: join(tmp, 'audit.sqlite') });
});
after(async () => {
  await ws?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The mask's bounding box in scan pixels [x0, y0, x1, y1] (x1, y1 exclusive). */
function maskBox(file: string): [number, number, number, number] {
  const png = decode(readFileSync(file));
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      if (!png.data[(y * png.width + x) * png.channels]) continue;
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x + 1); y1 = Math.max(y1, y + 1);
    }
  }
  return [x0, y0, x1, y1];
}

/** Where scan point (x, y) is on the page, from the scan layer's own pan and zoom. */
async function pageAt(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  const stage = (await page.getByTestId('viewer-stage').boundingBox())!;
  const t = await page.getByTestId('viewer-stage').locator('.scan-layer').evaluate((el) => (el as HTMLElement).style.transform);
  const m = /translate\((-?[\d.]+)px, (-?[\d.]+)px\) scale\(([\d.]+)\)/.exec(t);
  assert.ok(m, `the scan layer has a pan/zoom transform: ${t}`);
  const [panX, panY, zoom] = m.slice(1).map(Number) as [number, number, number];
  return { x: stage.x + panX + x * zoom, y: stage.y + panY + y * zoom };
}

async function figures(page: Page, prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const k of LINES) out[k] = (await page.getByTestId(`${prefix}${k}`).innerText()).trim();
  return out;
}

let live: { description: string; values: Record<string, string> };

test('demo-01: a box drawn on the nodule scores the NIB map: the pointing game hits, relevance mass is shown', async () => {
  const { page } = ws;
  await page.goto(ws.host.url);
  await page.getByTestId('study').first().click();
  await page.getByTestId('scan-title').filter({ hasText: study.title }).waitFor();
  await page.getByTestId('sentence').filter({ hasText: finding.sentence }).first().click();
  await page.getByTestId('shaded-text').waitFor({ timeout: 120_000 });

  // The nodule's box, 3 scan pixels wider each side: the reader's box is never tight.
  const [x0, y0, x1, y1] = maskBox(join(dirname(indexFile), finding.mask));
  await page.getByTestId('region-tool').click();
  assert.match(await page.getByTestId('region-tool').innerText(), /^Region: box/);
  const from = await pageAt(page, x0 - 3, y0 - 3);
  const to = await pageAt(page, x1 + 3, y1 + 3);
  // The window and level (the zoom may refit when the figures take room below the viewer).
  const wl = async () => (await page.getByTestId('wl').innerText()).split(' · ')[0];
  const wlBefore = await wl();
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 4 });
  await page.mouse.up();
  assert.equal(await wl(), wlBefore, 'drawing a region leaves window/level alone');

  await page.getByTestId('loc-0-pointingGame').waitFor({ timeout: 30_000 });
  const description = (await page.getByTestId('region-description').innerText()).trim();
  const m = /^box at \(([\d.]+), ([\d.]+)\), ([\d.]+) × ([\d.]+) px$/.exec(description);
  assert.ok(m, description);
  const [bx, by, bw, bh] = m.slice(1).map(Number) as [number, number, number, number];
  assert.ok(Math.abs(bx - (x0 - 3)) <= 1 && Math.abs(by - (y0 - 3)) <= 1, `the box starts at the nodule's corner: ${description} vs (${x0 - 3}, ${y0 - 3})`);
  assert.ok(Math.abs(bw - (x1 - x0 + 6)) <= 1 && Math.abs(bh - (y1 - y0 + 6)) <= 1, `the box spans the nodule: ${description}`);
  const values = await figures(page, 'loc-0-');
  assert.equal(values.pointingGame, 'hit', 'the map maximum lies in the box on the nodule');
  assert.equal(values.pointingGameTolerant, 'hit');
  const mass = Number(values.relevanceMass);
  assert.ok(mass > 0 && mass <= 1, `relevance mass ${values.relevanceMass}`);
  const uniform = /a uniform map scores ([\d.]+)/.exec(await page.getByTestId('localisation-0').innerText());
  assert.ok(uniform && mass > Number(uniform[1]), `the map is denser on the nodule than a uniform map (${mass} vs ${uniform?.[1]})`);
  live = { description, values };

  // The region is drawn in scan coordinates: after zooming and a window preset it still covers the same scan pixels.
  await page.getByTestId('viewer-stage').focus();
  await page.keyboard.press('+');
  await page.keyboard.press('2');
  const shape = (await page.getByTestId('region-shape').boundingBox())!;
  const a = await pageAt(page, bx, by);
  const b = await pageAt(page, bx + bw, by + bh);
  assert.ok(Math.abs(shape.x - a.x) < 2.5 && Math.abs(shape.y - a.y) < 2.5, `the box moved with the zoom: drawn at ${shape.x},${shape.y}, scan corner at ${a.x},${a.y}`);
  assert.ok(Math.abs(shape.x + shape.width - b.x) < 2.5 && Math.abs(shape.y + shape.height - b.y) < 2.5, 'its far corner too');
  assert.equal((await page.getByTestId('region-description').innerText()).trim(), description);
  await ws.screenshot('70-region-box-on-nodule');
});

test('the region and its figures are recorded and come back identical in the auditor view and the PDF', async () => {
  const { page } = ws;
  await page.getByTestId('reviewer').fill('Dr. Region');
  await page.getByTestId('decision-agree').check();
  await page.getByTestId('record-finding').click();
  await page.getByTestId('finding-result').waitFor();

  await page.getByTestId('audit-tab').click();
  const rows = page.getByTestId('audit-row');
  await rows.first().waitFor();
  await rows.first().click();
  await page.getByTestId('audit-region').waitFor();
  assert.equal((await page.getByTestId('audit-region-description').innerText()).trim(), live.description);
  assert.deepEqual(await figures(page, 'audit-loc-'), live.values);
  assert.equal(await page.getByTestId('audit-region-shape').count(), 1, 'the recorded region is drawn over the recorded map');
  await ws.screenshot('71-region-audit-detail');

  const text = await exportedEntryPdfText(page);
  assert.ok(text.includes(`Reader’s region (outlined on the images): ${live.description}`), 'the PDF names the region');
  assert.match(text, new RegExp(`Map maximum inside the region \\(pointing game\\) ${live.values.pointingGame}`));
  assert.match(text, new RegExp(`Share of the map inside the region \\(relevance mass\\) ${live.values.relevanceMass.replace('.', '\\.')}`));
  assert.match(text, new RegExp(`\\(rank accuracy\\) ${live.values.relevanceRankAccuracy.replace('.', '\\.')}`));
  assert.match(text, new RegExp(`with the region \\(IoU\\) ${live.values.iouTop.replace('.', '\\.')}`));
  assert.deepEqual(ws.pageErrors, []);
});

test('a freehand outline by keyboard tool choice (D twice) replaces the box; Delete clears it', async () => {
  const { page } = ws;
  await page.getByTestId('review-tab').click();
  await page.getByTestId('region-shape').waitFor();
  await page.getByTestId('viewer-stage').focus();
  await page.keyboard.press('d');
  assert.match(await page.getByTestId('region-tool').innerText(), /^Region: outline/, 'box → outline');
  // A ring of 24 points around the nodule's centre, 20 scan pixels out.
  const [x0, y0, x1, y1] = maskBox(join(dirname(indexFile), finding.mask));
  const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
  const ring = [];
  for (let i = 0; i <= 24; i++) ring.push(await pageAt(page, cx + 20 * Math.cos((i / 24) * 2 * Math.PI), cy + 20 * Math.sin((i / 24) * 2 * Math.PI)));
  await page.mouse.move(ring[0]!.x, ring[0]!.y);
  await page.mouse.down();
  for (const p of ring.slice(1)) await page.mouse.move(p.x, p.y);
  await page.mouse.up();
  await page.getByTestId('region-description').filter({ hasText: /^outline of \d+ points/ }).waitFor();
  const m = /^outline of \d+ points within \(([\d.]+), ([\d.]+)\), ([\d.]+) × ([\d.]+) px$/.exec((await page.getByTestId('region-description').innerText()).trim());
  assert.ok(m, 'the outline is described');
  const [ox, oy, ow, oh] = m.slice(1).map(Number) as [number, number, number, number];
  assert.ok(Math.abs(ox - (cx - 20)) <= 1.5 && Math.abs(oy - (cy - 20)) <= 1.5 && Math.abs(ow - 40) <= 2 && Math.abs(oh - 40) <= 2, `the outline spans the ring: ${m[0]}`);
  await page.getByTestId('loc-0-pointingGame').filter({ hasText: 'hit' }).waitFor();
  // A comparison: both maps on screen are scored against the same region, each next to its viewer.
  await page.keyboard.press('c');
  await page.keyboard.press('e');
  await page.getByTestId('localisation-1').waitFor({ timeout: 120_000 });
  assert.equal(await page.getByTestId('compare-region-shape').count(), 1, 'the region is drawn over both maps');
  assert.match(await page.getByTestId('localisation-1').innerText(), /M2IB against your region/);
  for (const k of LINES) assert.ok((await page.getByTestId(`loc-1-${k}`).innerText()).trim().length > 0);
  await ws.screenshot('72-region-outline-compared');
  await page.keyboard.press('Delete');
  await page.getByTestId('localisation').waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('region-shape').count(), 0, 'the region is cleared');
  assert.deepEqual(ws.pageErrors, []);
});
