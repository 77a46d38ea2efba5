import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { canvasStats, openWorkspace, sharedDir, type Workspace } from './harness';
import { testTempDir } from '../temp-dir';

const FIXTURES = join(sharedDir(), 'fixtures', 'dicom');
let ws: Workspace;
let tmp: string;

function write16BitPng(file: string): void {
  // A 16-bit ramp with a bright disc: a real PNG file written by a PNG library.
  const w = 320, h = 240;
  const data = new Uint16Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const disc = (x - 200) ** 2 + (y - 120) ** 2 < 50 ** 2 ? 30000 : 0;
      data[y * w + x] = Math.min(65535, 500 + x * 100 + disc);
    }
  writeFileSync(file, encode({ width: w, height: h, data, depth: 16, channels: 1 }));
}

before(async () => {
  tmp = testTempDir('candor-e2e-');
  ws = await openWorkspace({ samplesIndex: null });
});
after(async () => {
  await ws?.close();
});

async function openPath(p: string): Promise<void> {
  await ws.page.getByTestId('path-input').fill(p);
  await ws.page.getByTestId('open-button').click();
}

async function dragOnCanvas(dx: number, dy: number): Promise<void> {
  const box = await ws.page.getByTestId('scan-canvas').boundingBox();
  assert.ok(box, 'canvas has a box');
  const x = box.x + box.width / 2, y = box.y + box.height / 2;
  await ws.page.mouse.move(x, y);
  await ws.page.mouse.down();
  await ws.page.mouse.move(x + dx / 2, y + dy / 2, { steps: 4 });
  await ws.page.mouse.move(x + dx, y + dy, { steps: 4 });
  await ws.page.mouse.up();
}

test('a 16-bit PNG opens and window/level drag changes the rendered pixels as expected', async () => {
  const png = join(tmp, 'ramp16.png');
  write16BitPng(png);
  await ws.page.goto(ws.host.url);
  await openPath(png);
  await ws.page.getByTestId('scan-title').filter({ hasText: 'ramp16.png' }).waitFor();
  const before = await canvasStats(ws.page);
  assert.equal(before.width, 320);
  assert.ok(before.std > 40, `the ramp should show contrast, std=${before.std}`);
  await ws.screenshot('01-png16-opened');
  await ws.matchSnapshot('open-png16');

  // Dragging right widens the window: less contrast. Dragging down raises the level: darker.
  await dragOnCanvas(200, 0);
  const wider = await canvasStats(ws.page);
  assert.ok(wider.std < before.std - 5, `wider window lowers contrast: ${before.std} → ${wider.std}`);
  await dragOnCanvas(0, 120);
  const darker = await canvasStats(ws.page);
  assert.ok(darker.mean < wider.mean - 5, `higher level darkens: ${wider.mean} → ${darker.mean}`);
  await ws.screenshot('02-png16-after-drag');
  await ws.matchSnapshot('open-png16-after-drag');
});

test('a real DICOM file opens and window/level drag changes it', async () => {
  await openPath(join(FIXTURES, 'real_CT_small.dcm'));
  await ws.page.getByTestId('scan-title').filter({ hasText: 'real_CT_small.dcm' }).waitFor();
  const before = await canvasStats(ws.page);
  assert.ok(before.width > 0 && before.std > 10, `CT shows structure, std=${before.std}`);
  await dragOnCanvas(-150, 0);
  const narrower = await canvasStats(ws.page);
  // Dragging left narrows the window: more contrast.
  assert.ok(narrower.std > before.std + 2, `a narrower window raises contrast: std ${before.std.toFixed(1)} → ${narrower.std.toFixed(1)}`);
  await ws.screenshot('03-dicom-ct');
  await ws.matchSnapshot('open-dicom-ct-narrow');
});

test('bad input shows a clear message and the workspace keeps running', async () => {
  const dir = join(tmp, 'a-folder');
  mkdirSync(dir);
  const textAsDcm = join(tmp, 'notes.dcm');
  writeFileSync(textAsDcm, 'Patient notes, not an image.\n'.repeat(20));
  const truncated = join(tmp, 'truncated.png');
  write16BitPng(truncated);
  writeFileSync(truncated, readFileSync(truncated).subarray(0, 300));
  // Each message names the file and says what is wrong with it.
  const cases: [string, RegExp][] = [
    [join(tmp, 'missing.dcm'), /missing\.dcm: no such file/],
    [dir, /a-folder: is a folder, not an image file/],
    [textAsDcm, /notes\.dcm: not a DICOM file \(it is a text file\)/],
    [truncated, /truncated\.png: .*(truncated|ends|incomplete|corrupt)/i],
  ];
  for (const [p, pattern] of cases) {
    await openPath(p);
    // The message for this file (the previous one may still be on screen for a moment).
    await ws.page.getByTestId('error').filter({ hasText: pattern }).waitFor({ timeout: 15_000 });
  }
  await ws.screenshot('04-bad-input');
  // Still alive: a good file opens afterwards and the error goes away.
  await openPath(join(FIXTURES, 'real_CT_small.dcm'));
  await ws.page.getByTestId('scan-title').filter({ hasText: 'real_CT_small.dcm' }).waitFor();
  assert.equal(await ws.page.getByTestId('error').count(), 0);
  assert.deepEqual(ws.pageErrors, []);
});

test('the renderer makes no request outside the test host', () => {
  assert.ok(ws.requests.length > 3, 'requests were recorded');
  const outside = ws.requests.filter((u) => !u.startsWith(ws.host.origin + '/'));
  assert.deepEqual(outside, []);
});
