/**
 * Viewer conventions on real DICOM files: the file's own window presets on the number keys,
 * Hounsfield units under the cursor, invert, wheel zoom / 1:1 / fit, pan, the tag browser,
 * the help overlay, and cine through a multi-frame file. Assertions read canvas pixels and
 * what is shown.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { canvasPixels, fixtureFrames, openWorkspace, readoutUnder, sharedDir, type Workspace } from './harness';
import { ACTIONS } from '../../renderer/src/actions/table';

let ws: Workspace;
let dicom: string;

before(async () => {
  dicom = join(sharedDir(), 'fixtures', 'dicom');
  ws = await openWorkspace({ samplesIndex: null });
  await ws.page.goto(ws.host.url);
});
after(async () => {
  await ws?.close();
});

async function openPath(p: string, name: string): Promise<void> {
  await ws.page.getByTestId('path-input').fill(p);
  await ws.page.getByTestId('open-button').click();
  await ws.page.getByTestId('scan-title').filter({ hasText: name }).waitFor();
}

const zoomPercent = async (): Promise<number> => Number(/· (\d+)%/.exec(await ws.page.getByTestId('wl').innerText())![1]);

test('CT: the DICOM presets sit on the number keys and the readout is in HU', async () => {
  const { page } = ws;
  await openPath(join(dicom, 'ct_signed_rescale_windows.dcm'), 'ct_signed_rescale_windows.dcm');
  const first = page.getByTestId('preset').first();
  const title = (await first.getAttribute('title'))!;
  const m = /C (-?[\d.]+) W ([\d.]+)/.exec(title)!;
  await page.locator('body').press('2');
  await page.locator('body').press('1');
  assert.match(await page.getByTestId('wl').innerText(), new RegExp(`W ${Math.round(Number(m[2]))} / L ${Math.round(Number(m[1]))}`));
  const box = (await page.getByTestId('viewer-stage').boundingBox())!;
  const x = Math.round(box.x + box.width / 2) + 11, y = Math.round(box.y + box.height / 2) - 6;
  await page.mouse.move(x, y);
  // The value, not just its format: HU = stored · 1 − 1024 at the pixel under the cursor (the fixture's expected pixels).
  const ct = fixtureFrames('ct.pixels.raw', true, 1, 256, 256)[0]!;
  const r = await readoutUnder(page, x, y);
  assert.equal(r.rest, `${ct[r.y * 256 + r.x]! - 1024} HU`);
  await ws.screenshot('40-viewer-ct-preset');
  await ws.matchSnapshot('viewer-ct-preset');
});

/** The red channel of the scan canvas, one byte per pixel. */
async function scanGreys(): Promise<Uint8Array> {
  const bytes = await ws.page.getByTestId('scan-canvas').first().evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    return Array.from({ length: d.length / 4 }, (_, i) => d[i * 4]!);
  });
  return Uint8Array.from(bytes);
}

test('invert mirrors every grey level; pixel padding stays black', async () => {
  const { page } = ws;
  const a = await scanGreys();
  await page.locator('body').press('i');
  const b = await scanGreys();
  await ws.screenshot('40b-viewer-ct-inverted');
  await ws.matchSnapshot('viewer-ct-inverted');
  await page.locator('body').press('i');
  let padding = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 0 && b[i] === 0) padding++;
    else assert.equal(a[i]! + b[i]!, 255, `pixel ${i}: ${a[i]} and inverted ${b[i]}`);
  }
  // This CT carries Pixel Padding Value -2000 outside its reconstruction circle.
  assert.ok(padding > 0 && padding < a.length / 2, `padding pixels drawn black both ways: ${padding} of ${a.length}`);
});

test('wheel zoom, 1:1, fit and shift-drag pan move the image as expected', async () => {
  const { page } = ws;
  const fitted = await zoomPercent();
  const box = (await page.getByTestId('viewer-stage').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -300);
  await page.waitForFunction((z) => !document.querySelector('[data-testid="wl"]')!.textContent!.includes(`· ${z}%`), fitted);
  assert.ok((await zoomPercent()) > fitted, 'wheel up zooms in');
  await page.locator('body').press('z');
  assert.equal(await zoomPercent(), 100);
  const layer = page.locator('.scan-layer').first();
  const t0 = await layer.evaluate((el) => (el as HTMLElement).style.transform);
  await page.keyboard.down('Shift');
  await page.mouse.move(box.x + 100, box.y + 100);
  await page.mouse.down();
  await page.mouse.move(box.x + 160, box.y + 130, { steps: 4 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  const t1 = await layer.evaluate((el) => (el as HTMLElement).style.transform);
  const xy = (t: string) => /translate\((-?[\d.]+)px, (-?[\d.]+)px\)/.exec(t)!.slice(1).map(Number);
  const [x0, y0] = xy(t0), [x1, y1] = xy(t1);
  assert.ok(Math.abs(x1! - x0! - 60) < 1 && Math.abs(y1! - y0! - 30) < 1, `panned by (60, 30): ${t0} → ${t1}`);
  await ws.screenshot('41-viewer-zoom-pan');
  await ws.matchSnapshot('viewer-ct-1to1-panned');
  await page.locator('body').press('f');
  assert.equal(await zoomPercent(), fitted);
});

test('the tag browser shows the header and the help lists every action', async () => {
  const { page } = ws;
  await page.locator('body').press('t');
  const tags = page.getByTestId('tag-browser');
  await tags.waitFor();
  const text = await tags.innerText();
  assert.match(text, /Modality\s+CT/);
  assert.match(text, /Photometric Interpretation\s+MONOCHROME2/);
  assert.match(text, /SHA-256 of the file\s+[0-9a-f]{64}/);
  await ws.screenshot('42-viewer-tags');
  await page.keyboard.press('Escape');
  assert.equal(await tags.count(), 0);
  await page.locator('body').press('?');
  const help = page.getByTestId('help-overlay');
  await help.waitFor();
  assert.equal(await help.locator('tr').count(), ACTIONS.length);
  await ws.screenshot('43-help');
  await page.keyboard.press('Escape');
  assert.equal(await help.count(), 0);
});

test('cine: frames step with the arrow keys and play with Space', async () => {
  const { page } = ws;
  await openPath(join(dicom, 'cine_multiframe_explicit_le.dcm'), 'cine_multiframe_explicit_le.dcm');
  const frameNo = page.getByTestId('frame-number');
  assert.equal(await frameNo.innerText(), '1 / 4');
  const f1 = await canvasPixels(page, 'scan-canvas');
  await page.locator('body').press('ArrowRight');
  assert.equal(await frameNo.innerText(), '2 / 4');
  await page.waitForFunction((h) => {
    const c = document.querySelector('[data-testid="scan-canvas"]') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let x = 0x811c9dc5;
    for (let i = 0; i < d.length; i++) x = Math.imul(x ^ d[i]!, 16777619) >>> 0;
    return x !== h;
  }, f1.hash);
  await ws.matchSnapshot('viewer-cine-frame2');
  await page.locator('body').press(' ');
  await page.waitForFunction(() => document.querySelector('[data-testid="frame-number"]')!.textContent !== '2 / 4');
  await page.locator('body').press(' ');
  await ws.screenshot('44-viewer-cine');
  assert.ok((await page.getByTestId('study-thumbnail').count()) >= 2, 'both opened series have thumbnails');
  assert.deepEqual(ws.pageErrors, []);
});
