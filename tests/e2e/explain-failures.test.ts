/**
 * The workspace survives explanations that go wrong: cancelled mid-way (the UI stays usable while
 * it runs and cancel answers within a second), a damaged model bundle, and a model whose weights
 * are NaN. Real services, real models (copies of the mini-clip fixture, damaged on purpose).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync, chmodSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canvasStats, openWorkspace, sharedDir, type Workspace } from './harness';
import { readModel, writeModel } from '../../native-models/onnx/model';

let tmp: string;
let fixtures: string;

function samples(dir: string): string {
  writeFileSync(join(dir, 'report.txt'), 'Round opacity in the left upper zone. No pleural effusion.\n');
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ studies: [{ title: 'Fixture chest', scan: join(fixtures, 'dicom', 'chest_explicit_le.dcm'), report: 'report.txt' }] }),
  );
  return join(dir, 'index.json');
}

function copyModel(name: string): string {
  const dir = join(tmp, name);
  cpSync(join(fixtures, 'models', 'mini-clip'), dir, { recursive: true });
  // The fixture is read-only; the copies must be writable to be damaged.
  const walk = (d: string): void => {
    chmodSync(d, 0o755);
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else chmodSync(p, 0o644);
    }
  };
  walk(dir);
  return dir;
}

async function start(modelDir: string): Promise<Workspace> {
  const ws = await openWorkspace({ modelDir, samplesIndex: samples(mkdtempSync(join(tmp, 's-'))), dbPath: join(mkdtempSync(join(tmp, 'db-')), 'audit.sqlite') });
  await ws.page.goto(ws.host.url);
  opened.push(ws);
  await ws.page.getByTestId('scan-title').waitFor();
  return ws;
}

async function drag(ws: Workspace, dx: number): Promise<void> {
  const box = (await ws.page.getByTestId('viewer-stage').boundingBox())!;
  const x = box.x + box.width / 2, y = box.y + box.height / 2;
  await ws.page.mouse.move(x, y);
  await ws.page.mouse.down();
  await ws.page.mouse.move(x + dx, y, { steps: 5 });
  await ws.page.mouse.up();
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'candor-fail-'));
  fixtures = join(sharedDir(), 'fixtures');
});

const opened: Workspace[] = [];
after(async () => {
  for (const ws of opened) await ws.close().catch(() => undefined);
});

test('a running explanation leaves the viewer usable and cancel answers within a second', async () => {
  const ws = (await start(join(fixtures, 'models', 'mini-clip')));
  const { page } = ws;
  // RISE (1000 masks) then NIB at 200 steps: long enough to act while it runs.
  await page.getByTestId('explain-steps').fill('200');
  await page.getByTestId('explain-method').selectOption('rise');
  await page.getByTestId('compare-method').selectOption('nib');
  // Counted inside the page: window/level redraws that happen while the progress bar shows.
  await page.evaluate(() => {
    const rec = window as unknown as { rendersWhileRunning: number };
    rec.rendersWhileRunning = 0;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid="explain-progress"]')) rec.rendersWhileRunning++;
    }).observe(document.querySelector('[data-testid="scan-canvas"]')!, { attributes: true, attributeFilter: ['data-window'] });
  });
  await page.getByTestId('explain-button').click();
  await page.getByTestId('explain-progress').waitFor();
  const before = await canvasStats(page);
  await drag(ws, -150);
  const during = await canvasStats(page);
  assert.notEqual(Math.round(during.std), Math.round(before.std), 'the viewer redrew after the drag');
  const redraws = await page.evaluate(() => (window as unknown as { rendersWhileRunning: number }).rendersWhileRunning);
  assert.ok(redraws >= 2, `window/level redrew ${redraws} times while the explanation ran`);

  // Cancel, clicked and timed inside the page as soon as the button shows: the test driver shares
  // its process with the services, so its own clock would also count the explainer's work, which
  // the real app keeps in another process.
  const { ms, compareBefore, compareAfter } = await page.evaluate(async () => {
    const hashes: (string | null)[] = [];
    // If the first run already ended, start another; either way cancel the one that runs.
    if (!document.querySelector('[data-testid="explain-cancel"]')) document.querySelector<HTMLButtonElement>('[data-testid="explain-button"]')!.click();
    for (let i = 0; i < 1000 && !document.querySelector('[data-testid="explain-cancel"]'); i++) await new Promise((ok) => setTimeout(ok, 5));
    const button = document.querySelector<HTMLButtonElement>('[data-testid="explain-cancel"]');
    if (!button) return { ms: -1, compareBefore: null, compareAfter: null };
    // The comparison map on screen just before the cancel, to check the cancelled run adds none.
    const c0 = document.querySelector<HTMLCanvasElement>('[data-testid="compare-overlay-canvas"]');
    hashes.push(c0 ? c0.toDataURL() : null);
    const t0 = performance.now();
    button.click();
    for (let i = 0; i < 600 && !document.querySelector('[data-testid="explain-cancelled"]'); i++) await new Promise((ok) => setTimeout(ok, 5));
    const ms = document.querySelector('[data-testid="explain-cancelled"]') ? performance.now() - t0 : -2;
    await new Promise((ok) => setTimeout(ok, 300));
    const c1 = document.querySelector<HTMLCanvasElement>('[data-testid="compare-overlay-canvas"]');
    hashes.push(c1 ? c1.toDataURL() : null);
    return { ms, compareBefore: hashes[0], compareAfter: hashes[1] };
  });
  assert.ok(ms >= 0, ms === -1 ? 'the explanation ended before it could be cancelled' : 'no cancelled message appeared');
  assert.ok(ms < 1000, `cancel shown ${ms.toFixed(0)} ms after the click`);
  await ws.screenshot('30-explain-cancelled');
  assert.equal(await page.getByTestId('explain-progress').count(), 0);
  assert.equal(await page.getByTestId('explain-error').count(), 0, 'a cancel is quiet: no error');
  // Whatever finished before the cancel stays as it was; the cancelled run draws nothing.
  assert.ok(compareAfter === compareBefore, 'the cancelled run changed no map');
  // The workspace still explains afterwards.
  await page.getByTestId('explain-steps').fill('2');
  await page.getByTestId('explain-method').selectOption('nib');
  await page.getByTestId('compare-method').selectOption('');
  await page.getByTestId('explain-button').click();
  await page.getByTestId('shaded-text').waitFor({ timeout: 120_000 });
  assert.deepEqual(ws.pageErrors, []);
});

test('a damaged model bundle gives a clear message and the scan stays on screen', async () => {
  const dir = copyModel('damaged');
  writeFileSync(join(dir, 'onnx', 'vision_model.onnx'), Buffer.from('this is not an ONNX model'));
  const ws = (await start(dir));
  const { page } = ws;
  const before = await canvasStats(page);
  await page.getByTestId('sentence').first().click();
  const err = page.getByTestId('explain-error');
  await err.waitFor({ timeout: 60_000 });
  const text = await err.innerText();
  assert.match(text, /vision_model\.onnx|model/i);
  assert.ok(text.length > 40, `the message says what to do: ${text}`);
  // Refused as `unavailable`: the panel and the toolbar say the model is missing, not that this request was wrong.
  assert.match(text, /^The model is unavailable: /);
  assert.match(await page.getByTestId('model-info').innerText(), /^no model: .*vision_model\.onnx/);
  const after = await canvasStats(page);
  assert.equal(Math.round(after.mean), Math.round(before.mean), 'the scan is still drawn');
  assert.equal(await page.getByTestId('crash').count(), 0);
  await ws.screenshot('32-explain-bad-model');
  assert.deepEqual(ws.pageErrors, []);
});

test('a model that returns NaN is refused with a message, never drawn', async () => {
  const dir = copyModel('nan');
  const file = join(dir, 'onnx', 'vision_model.onnx');
  const model = readModel(file);
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType !== 1) continue; // FLOAT
    if (t.rawData && t.rawData.length) t.rawData = new Uint8Array(new Float32Array(t.rawData.length / 4).fill(NaN).buffer);
    else if (t.floatData && t.floatData.length) t.floatData = new Array<number>(t.floatData.length).fill(NaN);
  }
  writeModel(file, model);
  const ws = (await start(dir));
  const { page } = ws;
  await page.getByTestId('sentence').first().click();
  const err = page.getByTestId('explain-error');
  await err.waitFor({ timeout: 60_000 });
  assert.match(await err.innerText(), /NaN|not a number|non-finite|finite/i);
  assert.equal(await page.getByTestId('overlay-canvas').count(), 0);
  const stats = await canvasStats(page);
  assert.ok(stats.std > 5, 'the scan is still drawn');
  await ws.screenshot('33-explain-nan-model');
  assert.deepEqual(ws.pageErrors, []);
});
