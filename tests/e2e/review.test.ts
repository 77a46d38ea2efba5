/**
 * The radiologist's path and then the auditor's, in Chromium against the real services (the
 * demo model and studies when bundled, else the mini-clip fixture model and a fixture chest
 * radiograph), with a real SQLite audit log. Each step asserts on canvas pixels and on what is
 * shown, and leaves a screenshot in tests/output/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canvasPixels, canvasStats, openWorkspace, readoutUnder, serverExplanation as explanationOf, sharedDir, type Workspace } from './harness';
import type { Explanation, FramePixels } from '../../electron/api/contract';
import { decodeWire } from '../../electron/api/wire';
import { resolveResources } from '../../electron/paths';
import { repoRoot } from '../../electron/version';
import { testTempDir } from '../temp-dir';

let ws: Workspace;
let tmp: string;
const REVIEWER = 'Dr. Ada Reviewer';

function studyConfig(dir: string): { modelDir: string; samplesIndex: string } {
  const res = resolveResources(repoRoot());
  if (res.demoBundle && res.samplesIndex) return { modelDir: res.demoBundle, samplesIndex: res.samplesIndex };
  const fixtures = join(sharedDir(), 'fixtures');
  writeFileSync(join(dir, 'chest.txt'), 'Round opacity in the left upper zone. No pleural effusion. Heart size is normal.\n');
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ studies: [{ title: 'Fixture chest', scan: join(fixtures, 'dicom', 'chest_explicit_le.dcm'), report: 'chest.txt' }] }),
  );
  return { modelDir: join(fixtures, 'models', 'mini-clip'), samplesIndex: join(dir, 'index.json') };
}

before(async () => {
  tmp = testTempDir('candor-review-');
  ws = await openWorkspace({ ...studyConfig(tmp), dbPath: join(tmp, 'audit.sqlite') });
  await ws.page.goto(ws.host.url);
});
after(async () => {
  await ws?.close();
});

async function waitForExplanation(prefix = ''): Promise<void> {
  await ws.page.getByTestId(`${prefix}shaded-text`).waitFor({ timeout: 120_000 });
}

/** The explanation the server made for a job, once it is done (bounded). */
function serverExplanation(jobId: string): Promise<Explanation> {
  return explanationOf(ws, jobId);
}

/** The first study's scan as the server decodes it (modality values), independent of what the page drew. */
async function studyFrame(): Promise<FramePixels> {
  const info = await ws.call('app:info', {});
  const scan = await ws.call('scan:open', { path: info.sampleStudies[0]!.scanPath });
  return ws.call('scan:frame', { scanId: scan.id, frame: 1 });
}

/** "W 400 / L 40" as shown in the viewer corner. */
async function shownWindow(prefix = ''): Promise<{ width: number; level: number }> {
  const m = /W (-?[\d.]+) \/ L (-?[\d.]+)/.exec(await ws.page.getByTestId(`${prefix}wl`).innerText());
  assert.ok(m, 'the viewer shows its window');
  return { width: Number(m[1]), level: Number(m[2]) };
}

let explained: Explanation;

const readoutAt = (clientX: number, clientY: number) => readoutUnder(ws.page, clientX, clientY);

test('the demo study opens with its thumbnail, report, model and provider shown', async () => {
  const { page } = ws;
  await page.getByTestId('scan-title').waitFor();
  const stats = await canvasStats(page);
  assert.ok(stats.std > 5, `the scan shows structure, std=${stats.std}`);
  const thumb = page.getByTestId('study-thumbnail').first();
  await thumb.waitFor();
  assert.ok(await thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth > 0), 'thumbnail image decoded');
  assert.match(await page.getByTestId('model-info').innerText(), /model .+ · [0-9a-f]{12}/);
  assert.match(await page.getByTestId('provider').innerText(), /provider: (CPU|CUDA|DIRECTML|COREML|GPU)/i);
  assert.ok((await page.getByTestId('report-text').inputValue()).length > 10, 'the report text is loaded with the study');
  assert.ok((await page.getByTestId('sentence').count()) >= 1);
  await ws.screenshot('10-review-opened');
});

test('window/level: a preset key and a drag change the drawn pixels, the readout shows modality values', async () => {
  const { page } = ws;
  const before = await canvasStats(page);
  const wl0 = await page.getByTestId('wl').innerText();
  await page.locator('body').press('1');
  const preset = await shownWindow();
  const box = (await page.getByTestId('viewer-stage').boundingBox())!;
  const x = box.x + box.width / 2, y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x - 120, y + 40, { steps: 6 });
  await page.mouse.up();
  const after = await canvasStats(page);
  assert.notEqual(await page.getByTestId('wl').innerText(), wl0);
  // Left narrows the window, down raises the level: fewer values are bright, so the image darkens.
  const dragged = await shownWindow();
  assert.ok(dragged.width < preset.width, `the window narrowed: W ${preset.width} → ${dragged.width}`);
  assert.ok(dragged.level > preset.level, `the level rose: L ${preset.level} → ${dragged.level}`);
  assert.ok(after.mean < before.mean - 2, `a higher level darkens the image: mean ${before.mean.toFixed(1)} → ${after.mean.toFixed(1)}`);
  await page.mouse.move(x + 5, y + 5);
  // The value under the cursor is the scan's own value at that pixel (decoded by the server).
  const frame = await studyFrame();
  const r = await readoutAt(x + 5, y + 5);
  const value = frame.pixels[r.y * frame.width + r.x]!;
  assert.equal(r.rest, Number.isInteger(value) ? String(value) : value.toFixed(2));
  await ws.screenshot('11-review-window-level');
});

test('explaining a sentence draws the heat map and shades the words', async () => {
  const { page } = ws;
  const jobId = await ws.startsJob(() => page.getByTestId('sentence').first().click());
  explained = await serverExplanation(jobId);
  await waitForExplanation();
  const overlay = await canvasPixels(page, 'overlay-canvas');
  assert.ok(overlay.covered > 0.01, `the heat map covers part of the scan (${overlay.covered})`);
  assert.ok(overlay.covered < 1, 'zero attribution stays transparent somewhere');
  const words = page.getByTestId('word');
  const n = await words.count();
  assert.ok(n >= 2, `words shaded: ${n}`);
  const scores = await words.evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.score)));
  assert.ok(scores.every((s) => s >= 0 && s <= 1), `scores in [0,1]: ${scores}`);
  assert.ok(Math.max(...scores) > Math.min(...scores), 'words differ in attribution');
  assert.match(await page.getByTestId('similarity').innerText(), new RegExp(`similarity ${explained.similarity.toFixed(3)}`), 'the similarity the server computed');
  assert.ok((await page.getByTestId('metrics').locator('tr').count()) >= 4, 'metrics shown');
  await words.first().hover();
  const firstText = (await words.first().innerText()).trim();
  const firstWord = explained.text!.words.find((w) => w.text === firstText);
  assert.ok(firstWord, 'the first shaded word is a word of the explanation');
  assert.equal(await page.getByTestId('word-hover').innerText(), `“${firstWord.text}” ${firstWord.normalized.toFixed(3)} (raw ${firstWord.raw.toPrecision(3)})`);
  // The attribution value under the cursor joins the pixel value: the recorded map's value at that scan pixel.
  const box = (await page.getByTestId('viewer-stage').boundingBox())!;
  const mx = box.x + box.width / 2, my = box.y + box.height / 2;
  await page.mouse.move(mx, my);
  const r = await readoutAt(mx, my);
  const map = explained.image!.map;
  const frame = await studyFrame();
  const at = map.values[Math.min(map.height - 1, Math.floor((r.y * map.height) / frame.height)) * map.width + Math.min(map.width - 1, Math.floor((r.x * map.width) / frame.width))]!;
  assert.match(r.rest, new RegExp(`^${frame.pixels[r.y * frame.width + r.x]} · attribution ${at.toFixed(3)}$`));
  await ws.screenshot('12-review-explained');
  await ws.matchSnapshot('review-explained');
});

test('opacity and threshold change the overlay pixels; O hides it', async () => {
  const { page } = ws;
  await page.getByTestId('opacity').fill('1');
  const full = await canvasPixels(page, 'overlay-canvas');
  await page.getByTestId('opacity').fill('0.25');
  const quarter = await canvasPixels(page, 'overlay-canvas');
  const ratio = quarter.meanAlpha / full.meanAlpha;
  assert.ok(Math.abs(ratio - 0.25) < 0.02, `alpha scales with opacity: ${ratio}`);
  await ws.screenshot('13-review-opacity-25');
  await page.getByTestId('threshold').fill('0.5');
  const thresholded = await canvasPixels(page, 'overlay-canvas');
  assert.ok(thresholded.covered < quarter.covered, `threshold hides low values: ${quarter.covered} → ${thresholded.covered}`);
  await page.getByTestId('threshold').fill('0');
  await page.getByTestId('opacity').fill('0.6');
  await page.locator('body').press('o');
  assert.equal(await page.getByTestId('overlay-canvas').isVisible(), false);
  await page.locator('body').press('o');
  assert.equal(await page.getByTestId('overlay-canvas').isVisible(), true);
});

test('two methods side by side: NIB and Grad-CAM draw different maps over the same scan', async () => {
  const { page } = ws;
  await page.getByTestId('compare-method').selectOption('gradcam');
  await page.getByTestId('explain-button').click();
  await page.getByTestId('compare-viewer-label').waitFor({ timeout: 120_000 });
  await waitForExplanation('compare-');
  assert.equal(await page.getByTestId('viewer-label').innerText(), 'NIB');
  assert.equal(await page.getByTestId('compare-viewer-label').innerText(), 'Grad-CAM');
  const a = await canvasPixels(page, 'overlay-canvas');
  const b = await canvasPixels(page, 'compare-overlay-canvas');
  assert.ok(b.covered > 0.01, 'the second map is drawn');
  assert.notEqual(a.hash, b.hash, 'the two methods give different maps');
  const sa = await canvasStats(page, 'scan-canvas');
  const sb = await canvasStats(page, 'compare-scan-canvas');
  assert.equal(Math.round(sa.mean), Math.round(sb.mean), 'the same scan and window under both');
  await ws.screenshot('14-review-compare');
  await ws.matchSnapshot('review-compare-nib', 'viewer-stage');
  await ws.matchSnapshot('review-compare-gradcam', 'compare-viewer-stage');
});

test('a phrase selected in the report is explained on its own with the E key', async () => {
  const { page } = ws;
  await page.getByTestId('compare-method').selectOption('');
  // The last three words of the first sentence, whatever the study’s report says.
  const first = await page.getByTestId('sentence').first().innerText();
  const words = first.replace(/[.!?]+$/, '').split(/\s+/);
  const phrase = words.slice(Math.max(0, words.length - 3)).join(' ');
  assert.ok(phrase.length > 3);
  await page.getByTestId('report-text').evaluate((el, p) => {
    const t = el as HTMLTextAreaElement;
    const i = t.value.indexOf(p);
    t.focus();
    t.setSelectionRange(i, i + p.length);
    t.dispatchEvent(new Event('select', { bubbles: true }));
  }, phrase);
  await page.getByTestId('explain-button').filter({ hasText: 'Explain selection' }).waitFor({ timeout: 5000 });
  await page.getByTestId('viewer-stage').click({ position: { x: 5, y: 5 } });
  await page.locator('body').press('e');
  await page.waitForFunction((p) => document.querySelector('[data-testid="word-shading"]')?.textContent?.trim() === p, phrase, { timeout: 120_000 });
  assert.equal((await page.getByTestId('word-shading').innerText()).trim(), phrase);
  assert.equal(await page.getByTestId('compare-viewer-label').count(), 0, 'the comparison is gone with a new explanation');
  await ws.screenshot('16-review-phrase-explained');
});

test('the model can be shown the window on screen instead of the scan default', async () => {
  const { page } = ws;
  const before = await page.getByTestId('similarity').innerText();
  await page.getByTestId('explain-window').selectOption('screen');
  await page.getByTestId('viewer-stage').click({ position: { x: 5, y: 5 } });
  await page.locator('body').press('i');
  await page.locator('body').press('2');
  const onScreen = await shownWindow();
  const sent = page.waitForRequest((r) => r.url() === `${ws.host.origin}/api/${encodeURIComponent('explain:start')}`);
  const jobId = await ws.startsJob(() => page.locator('body').press('e'));
  // The request carries the window on screen, and the similarity shown is the server's for it.
  const request = decodeWire((await sent).postData() ?? '') as { window?: { center: number; width: number } };
  assert.ok(request.window, 'the request names a window');
  assert.deepEqual([Math.round(request.window.width), Math.round(request.window.center)], [onScreen.width, onScreen.level]);
  const e = await serverExplanation(jobId);
  assert.deepEqual([e.params.windowCenter, e.params.windowWidth], [request.window.center, request.window.width], 'the explanation records the window the model saw');
  await page.waitForFunction((s) => document.querySelector('[data-testid="similarity"]')?.textContent?.includes(s), `similarity ${e.similarity.toFixed(3)}`, { timeout: 60_000 });
  assert.notEqual(await page.getByTestId('similarity').innerText(), before, 'another window gives the model another input');
  await page.getByTestId('explain-window').selectOption('default');
  await page.locator('body').press('i');
  await page.locator('body').press('1');
});

test('a finding is recorded with the explanation; the reviewer name is remembered', async () => {
  const { page } = ws;
  await page.getByTestId('reviewer').fill(REVIEWER);
  await page.getByTestId('decision-agree').check();
  await page.getByTestId('note').fill('Map matches the opacity in the left upper zone.');
  await page.getByTestId('record-finding').click();
  const result = page.getByTestId('finding-result');
  await result.waitFor();
  assert.match(await result.innerText(), /Saved as entry #\d+ by Dr\. Ada Reviewer \(agree\)/);
  await ws.screenshot('15-review-finding-recorded');
  assert.equal(await page.evaluate(() => localStorage.getItem('candor.reviewer')), REVIEWER);
  // The toolbar exports this session's findings.
  await page.getByTestId('toolbar-export').click();
  const exported = page.getByTestId('toolbar-export-result');
  await exported.waitFor({ timeout: 60_000 });
  const m = /PDF written: (.+\.pdf) \(/.exec(await exported.innerText());
  assert.ok(m && existsSync(m[1]!), `the toolbar export wrote a PDF: ${await exported.innerText()}`);
});

test('auditor: the log lists the finding, filters work, the entry redraws the same map, PDF export', async () => {
  const { page } = ws;
  // The map as drawn in review at the same opacity, to compare with the redrawn one.
  await page.getByTestId('opacity').fill('0.6');
  const reviewed = await canvasPixels(page, 'overlay-canvas');
  const reviewWords = await page.getByTestId('word').evaluateAll((els) => els.map((e) => `${e.textContent}:${(e as HTMLElement).dataset.score}`));
  await page.getByTestId('audit-tab').click();
  await page.getByTestId('audit-view').waitFor();
  const rows = page.getByTestId('audit-row');
  await rows.first().waitFor();
  await page.locator('[data-testid="chain-status"][data-verdict="verified"]').waitFor();
  assert.match(await page.getByTestId('chain-status').innerText(), /^VERIFIED — All (\d+) events covered: events 1–\1 by a trusted signature\.$/);
  assert.match(await rows.first().innerText(), /Dr\. Ada Reviewer/);
  assert.match(await rows.first().innerText(), /NIB/);
  await ws.screenshot('20-audit-log');

  await page.getByTestId('audit-search').fill('no such words anywhere');
  await page.getByText('No entries match.').waitFor();
  assert.equal(await rows.count(), 0);
  await page.getByTestId('audit-search').fill('left upper zone');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1, 'the search finds the note');
  await page.getByTestId('audit-search').fill('');
  await page.getByTestId('audit-reviewer').selectOption(REVIEWER);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-row"]').length === 1);
  assert.match(await rows.first().innerText(), /Dr\. Ada Reviewer/);
  await page.getByTestId('audit-decision').selectOption('disagree');
  assert.equal(await rows.count(), 0, 'no disagreeing entries');
  await page.getByTestId('audit-decision').selectOption('agree');
  assert.ok((await rows.count()) >= 1);
  await ws.screenshot('21-audit-filtered');

  await rows.first().click();
  await page.getByTestId('audit-detail').getByTestId('audit-overlay-canvas').waitFor();
  const redrawn = await canvasPixels(page, 'audit-overlay-canvas');
  assert.equal(redrawn.width, reviewed.width);
  assert.equal(redrawn.height, reviewed.height);
  assert.equal(redrawn.hash, reviewed.hash, 'the recorded map redraws pixel for pixel');
  const auditWords = await page.getByTestId('audit-word').evaluateAll((els) => els.map((e) => `${e.textContent}:${(e as HTMLElement).dataset.score}`));
  assert.deepEqual(auditWords, reviewWords, 'the word scores are the recorded ones');
  assert.equal(await page.getByTestId('audit-scan-missing').count(), 0, 'the scan is found under the map');
  await ws.screenshot('22-audit-entry');
  await ws.matchSnapshot('audit-entry', 'audit-viewer-stage');

  await page.getByTestId('audit-select').first().check();
  await page.getByTestId('export-pdf').click();
  const pdf = page.getByTestId('pdf-result');
  await pdf.or(page.getByTestId('audit-error')).waitFor({ timeout: 60_000 });
  if ((await page.getByTestId('audit-error').count()) > 0) assert.fail(await page.getByTestId('audit-error').innerText());
  const m = /PDF written: (.+\.pdf) \(/.exec(await pdf.innerText());
  assert.ok(m, `a path is shown: ${await pdf.innerText()}`);
  assert.ok(existsSync(m[1]!), `the PDF exists at ${m[1]}`);
  assert.equal(readFileSync(m[1]!).subarray(0, 5).toString('latin1'), '%PDF-');
  await ws.screenshot('23-audit-pdf');
  // A new session remembers the reviewer's name.
  await page.reload();
  await page.getByTestId('scan-title').waitFor();
  assert.equal(await page.getByTestId('reviewer').inputValue(), REVIEWER, 'the name is filled in after a reload');
  assert.deepEqual(ws.pageErrors, []);
});
