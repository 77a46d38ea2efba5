/**
 * The workspace survives explanations that go wrong: cancelled mid-way (the UI stays usable while
 * it runs; the server reports the job cancelled and nothing is drawn), a damaged model bundle, and a model whose weights
 * are NaN. Real services, real models (copies of the mini-clip fixture, damaged on purpose).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync, chmodSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { canvasStats, openWorkspace, sharedDir, type Workspace } from './harness';
import { readModel, writeModel } from '../../native-models/onnx/model';
import { testTempDir } from '../temp-dir';

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
  tmp = testTempDir('candor-fail-');
  fixtures = join(sharedDir(), 'fixtures');
});

const opened: Workspace[] = [];
after(async () => {
  for (const ws of opened) await ws.close().catch(() => undefined);
});

/** The scan canvas's window as last drawn (its data-window attribute: "center/width"). */
async function drawnWindow(ws: Workspace): Promise<{ center: number; width: number }> {
  const v = await ws.page.getByTestId('scan-canvas').getAttribute('data-window');
  const [center, width] = (v ?? '').split('/').map(Number);
  assert.ok(Number.isFinite(center) && Number.isFinite(width), `data-window = ${v}`);
  return { center: center!, width: width! };
}

/** Polls the server (not the page) until the job has left `running`; bounded. */
async function serverState(ws: Workspace, jobId: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await ws.call('explain:poll', { jobId });
    if (state.state !== 'running') return state.state;
    assert.ok(Date.now() < deadline, `job ${jobId} still running on the server a minute after the cancel (stage ${state.stage})`);
    await new Promise((ok) => setTimeout(ok, 20));
  }
}

test('a running explanation leaves the viewer usable; cancel stops it on the server and draws nothing', async () => {
  const ws = (await start(join(fixtures, 'models', 'mini-clip')));
  const { page } = ws;
  // RISE (500 masks) then NIB at 200 steps: long enough to act while it runs.
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
  const win0 = await drawnWindow(ws);
  // Dragging left narrows the window around the same level: more contrast.
  await drag(ws, -150);
  await page.waitForFunction((w) => document.querySelector('[data-testid="scan-canvas"]')?.getAttribute('data-window') !== w, `${win0.center}/${win0.width}`);
  const win1 = await drawnWindow(ws);
  const during = await canvasStats(page);
  assert.equal(win1.center, win0.center, 'a horizontal drag keeps the level');
  assert.ok(win1.width < win0.width, `the window narrowed: ${win0.width} → ${win1.width}`);
  assert.ok(during.std > before.std + 1, `a narrower window shows more contrast: std ${before.std.toFixed(1)} → ${during.std.toFixed(1)}`);
  const redraws = await page.evaluate(() => (window as unknown as { rendersWhileRunning: number }).rendersWhileRunning);
  assert.ok(redraws >= 2, `window/level redrew ${redraws} times while the explanation ran`);

  // Cancel the run going on (if both runs already ended on a fast machine, start them again). The
  // maps on screen are read and the button clicked in one step inside the page, so nothing can be
  // drawn in between; a run that finished on the server just before the click is tried again.
  let states: string[] = [];
  let shown: { overlay: string | null; compare: string | null } | null = null;
  for (let attempt = 0; attempt < 3 && states.at(-1) !== 'cancelled'; attempt++) {
    if ((await page.getByTestId('explain-cancel').count()) === 0) await page.getByTestId('explain-button').click();
    await page.getByTestId('explain-cancel').waitFor();
    shown = await page.evaluate(() => {
      const button = document.querySelector<HTMLButtonElement>('[data-testid="explain-cancel"]');
      if (!button) return null;
      const [overlay, compare] = ['overlay-canvas', 'compare-overlay-canvas'].map((id) => document.querySelector<HTMLCanvasElement>(`[data-testid="${id}"]`)?.toDataURL() ?? null);
      button.click();
      return { overlay: overlay!, compare: compare! };
    });
    if (!shown) continue;
    // The run may still finish on the server before the cancel reaches it: then nothing says
    // cancelled, and the next attempt starts a new run.
    await page.waitForFunction(() => document.querySelector('[data-testid="explain-cancelled"]') !== null || document.querySelector('[data-testid="explain-cancel"]') === null);
    if ((await page.getByTestId('explain-cancelled').count()) === 0) continue;
    // What the server says, not what the page shows.
    states = [];
    for (const id of ws.jobIds) states.push(await serverState(ws, id));
  }
  assert.equal(states.at(-1), 'cancelled', `server states of the jobs: ${states.join(', ')}`);
  assert.ok(states.slice(0, -1).every((s) => s === 'done'), `server states of the jobs: ${states.join(', ')}`);
  const after = await page.evaluate(() => {
    const [overlay, compare] = ['overlay-canvas', 'compare-overlay-canvas'].map((id) => document.querySelector<HTMLCanvasElement>(`[data-testid="${id}"]`)?.toDataURL() ?? null);
    return { overlay: overlay!, compare: compare! };
  });
  await ws.screenshot('30-explain-cancelled');
  assert.equal(await page.getByTestId('explain-progress').count(), 0);
  assert.equal(await page.getByTestId('explain-error').count(), 0, 'a cancel is quiet: no error');
  // The cancelled run draws nothing: the maps on screen (none, when the first run was cancelled) are exactly those before the click.
  assert.equal(after.overlay === null, shown!.overlay === null, 'the cancelled run added or removed no map');
  assert.equal(after.compare === null, shown!.compare === null, 'the cancelled run added or removed no comparison map');
  assert.ok(after.overlay === shown!.overlay, 'the map on screen is unchanged');
  assert.ok(after.compare === shown!.compare, 'the comparison map on screen is unchanged');
  if (states.length === 1) assert.equal(after.overlay, null, 'the cancelled first run drew no map');
  // The workspace still explains afterwards.
  await page.getByTestId('explain-steps').fill('2');
  await page.getByTestId('explain-method').selectOption('nib');
  await page.getByTestId('compare-method').selectOption('');
  const again = await ws.startsJob(() => page.getByTestId('explain-button').click());
  assert.equal(await serverState(ws, again), 'done');
  await page.waitForFunction(() => /^NIB · layer \d+ · steps 2 /.test(document.querySelector('[data-testid="explain-shown"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
  await page.getByTestId('shaded-text').waitFor();
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
  // The file and what is wrong with it.
  assert.match(text, /onnx\/vision_model\.onnx: not a readable ONNX model/);
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
  assert.match(await err.innerText(), /^Explanation failed: nan: the model returned a non-finite similarity \(NaN or ∞\)/);
  assert.equal(await page.getByTestId('overlay-canvas').count(), 0);
  const stats = await canvasStats(page);
  assert.ok(stats.std > 5, 'the scan is still drawn');
  await ws.screenshot('33-explain-nan-model');
  assert.deepEqual(ws.pageErrors, []);
});
