/**
 * End-to-end harness: the real services behind the browser test host, driven by Debian's
 * Chromium through playwright-core. Every request the page makes is recorded so tests can
 * prove nothing leaves the host.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createDispatch } from '../../electron/ipc/handlers';
import { startHost, type RunningHost } from '../../electron/host/server';
import { createServices, type ServiceConfig } from '../../electron/services/index';
import { resolveResources } from '../../electron/paths';
import { repoRoot } from '../../electron/version';
import { decodeWire, encodeWire } from '../../electron/api/wire';
import type { Channel, Explanation, ExplainJobState, Request, Response } from '../../electron/api/contract';
import { checkSnapshot } from './snapshots';
import { SHARED } from '../shared-fixtures';

export const CHROMIUM = process.env.CANDOR_CHROMIUM ?? '/usr/bin/chromium';
export const OUTPUT_DIR = resolve(repoRoot(), 'tests', 'output');

export interface Workspace {
  host: RunningHost;
  /** Job ids of every explain:start the page made, in order. */
  jobIds: string[];
  /** Does `action` (a click, a key) and returns the id of the explanation job the page starts with it. */
  startsJob(action: () => Promise<void>): Promise<string>;
  /** A channel called over the host's HTTP API as the page calls it (with its token): what the server says, not what the page shows. */
  call<C extends Channel>(channel: C, request: Request<C>): Promise<Response<C>>;
  browser: Browser;
  page: Page;
  requests: string[];
  pageErrors: string[];
  close(): Promise<void>;
  screenshot(name: string): Promise<string>;
  /**
   * Compares what a viewer shows (its stage by test id: scan, map, zoom and pan, without the
   * labels and readouts) with the stored snapshot `name` (snapshots.ts).
   */
  matchSnapshot(name: string, stageTestId?: string): Promise<void>;
}

/** Text drawn over a viewer: hidden in snapshots, whose fonts differ between machines. */
const VIEWER_TEXT = '.viewer-label, .viewer-corner, .viewer-readout, .viewer-warning, .viewer-badge, .region-tools { visibility: hidden !important; }';

export async function openWorkspace(config: Partial<ServiceConfig> = {}): Promise<Workspace> {
  const resources = resolveResources(repoRoot());
  if (!existsSync(join(resources.rendererDir, 'index.html'))) throw new Error('renderer not built: run `npm run build` first');
  const services = createServices({
    appVersion: 'test',
    modelDir: resources.demoBundle,
    samplesIndex: resources.samplesIndex,
    dbPath: null,
    // The audit key, trust store, anchors and reports of this workspace: its own folder.
    configDir: mkdtempSync(join(tmpdir(), 'candor-e2e-config-')),
    ...config,
  });
  const host = await startHost({ dispatch: createDispatch(services, (l) => console.error(l)), rendererDir: resources.rendererDir });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const requests: string[] = [];
  const pageErrors: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    requests.push(url);
    if (url.startsWith(host.origin + '/')) await route.continue();
    else await route.abort();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const jobIds: string[] = [];
  page.on('response', (res) => {
    if (!res.url().startsWith(`${host.origin}/api/${encodeURIComponent('explain:start')}`)) return;
    void res.text().then((body) => {
      const r = decodeWire(body) as { ok: boolean; value?: { jobId: string } };
      if (r.ok && r.value) jobIds.push(r.value.jobId);
    }, () => undefined);
  });
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return {
    host,
    jobIds,
    async startsJob(action) {
      const response = page.waitForResponse((r) => r.url() === `${host.origin}/api/${encodeURIComponent('explain:start')}`);
      await action();
      const r = decodeWire(await (await response).text()) as { ok: boolean; value?: { jobId: string } };
      if (!r.ok || !r.value) throw new Error(`explain:start was refused: ${JSON.stringify(r).slice(0, 300)}`);
      return r.value.jobId;
    },
    async call(channel, request) {
      const res = await fetch(`${host.origin}/api/${encodeURIComponent(channel)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-candor-token': host.token },
        body: encodeWire(request),
      });
      const r = decodeWire(await res.text()) as { ok: true; value: Response<typeof channel> } | { ok: false; error: { code: string; message: string } };
      if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
      return r.value;
    },
    browser,
    page,
    requests,
    pageErrors,
    async close() {
      await browser.close();
      await host.close();
      // Stops running explanations and closes the model sessions and the audit database.
      const disposable = services as { dispose?: () => Promise<void> };
      await disposable.dispose?.();
    },
    async screenshot(name) {
      const file = join(OUTPUT_DIR, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async matchSnapshot(name, stageTestId = 'viewer-stage') {
      const png = await page.getByTestId(stageTestId).first().screenshot({ animations: 'disabled', caret: 'hide', style: VIEWER_TEXT });
      checkSnapshot(name, png, OUTPUT_DIR);
    },
  };
}

/** Grey-level statistics of the scan canvas as drawn (mean and standard deviation of red). */
/**
 * Waits until the model has loaded (its provider is shown). The toolbar keeps its layout meanwhile
 * (layout.test.ts holds it to that); tests wait so that what they click next has a model behind it.
 */
export async function waitForModel(page: Page): Promise<void> {
  await page.getByTestId('provider').filter({ hasText: 'provider:' }).waitFor();
}

export async function canvasStats(page: Page, testId = 'scan-canvas'): Promise<{ mean: number; std: number; width: number; height: number }> {
  return page.getByTestId(testId).evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const ctx = c.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let sum = 0, sum2 = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      sum += d[i]!;
      sum2 += d[i]! * d[i]!;
    }
    const mean = sum / n;
    return { mean, std: Math.sqrt(Math.max(0, sum2 / n - mean * mean)), width: c.width, height: c.height };
  });
}

/** The shared read-only fixtures' folder (the one holding fixtures/). */
export function sharedDir(): string {
  return SHARED;
}

/** The scan pixel under a page point, from the viewer layer's own transform (screen = pan + zoom · image). */
export async function scanPixelUnder(page: Page, clientX: number, clientY: number, idPrefix = ''): Promise<{ x: number; y: number }> {
  const stage = (await page.getByTestId(`${idPrefix}viewer-stage`).boundingBox())!;
  const t = await page.getByTestId(`${idPrefix}viewer-stage`).locator('.scan-layer').first().evaluate((el) => (el as HTMLElement).style.transform);
  const m = /translate\((-?[\d.]+)px, (-?[\d.]+)px\) scale\(([\d.]+)\)/.exec(t);
  if (!m) throw new Error(`the scan layer has no pan/zoom transform: ${t}`);
  const [panX, panY, zoom] = m.slice(1).map(Number) as [number, number, number];
  return { x: Math.floor((clientX - stage.x - panX) / zoom), y: Math.floor((clientY - stage.y - panY) / zoom) };
}

/**
 * The pixel the readout names, which must be the one under the mouse (±1: a point on a pixel
 * border may round either way), and the rest of the readout.
 */
export async function readoutUnder(page: Page, clientX: number, clientY: number): Promise<{ x: number; y: number; rest: string }> {
  const text = (await page.getByTestId('pixel-readout').innerText()).trim();
  const m = /^\((\d+), (\d+)\) (.*)$/.exec(text);
  if (!m) throw new Error(`the readout names no pixel: ${text}`);
  const [x, y] = [Number(m[1]), Number(m[2])];
  const under = await scanPixelUnder(page, clientX, clientY);
  if (Math.abs(x - under.x) > 1 || Math.abs(y - under.y) > 1) throw new Error(`the readout names (${x}, ${y}); the mouse is over (${under.x}, ${under.y})`);
  return { x, y, rest: m[3]! };
}

/** Stored values of a DICOM fixture's expected-pixels file (`<name>.pixels.raw`, 16-bit little-endian), frame by frame. */
export function fixtureFrames(file: string, signed: boolean, frames: number, rows: number, cols: number): Int32Array[] {
  const buf = readFileSync(join(sharedDir(), 'fixtures', 'dicom', file));
  return Array.from({ length: frames }, (_, f) => {
    const out = new Int32Array(rows * cols);
    for (let i = 0; i < rows * cols; i++) out[i] = signed ? buf.readInt16LE((f * rows * cols + i) * 2) : buf.readUInt16LE((f * rows * cols + i) * 2);
    return out;
  });
}

export interface CanvasPixels {
  width: number;
  height: number;
  /** Fraction of pixels with alpha > 0. */
  covered: number;
  meanAlpha: number;
  meanRed: number;
  meanGreen: number;
  meanBlue: number;
  /** FNV-1a over the RGBA bytes: equal hashes mean identical drawings. */
  hash: number;
}

/** Pixel statistics of any 2D canvas on the page, by test id (first match). */
export async function canvasPixels(page: Page, testId: string): Promise<CanvasPixels> {
  return page.getByTestId(testId).first().evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const ctx = c.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let a = 0, r = 0, g = 0, b = 0, covered = 0, h = 0x811c9dc5;
    for (let i = 0; i < d.length; i += 4) {
      r += d[i]!;
      g += d[i + 1]!;
      b += d[i + 2]!;
      a += d[i + 3]!;
      if (d[i + 3]! > 0) covered++;
      for (let k = 0; k < 4; k++) h = Math.imul(h ^ d[i + k]!, 16777619) >>> 0;
    }
    const n = Math.max(1, d.length / 4);
    return { width: c.width, height: c.height, covered: covered / n, meanAlpha: a / n, meanRed: r / n, meanGreen: g / n, meanBlue: b / n, hash: h };
  });
}

/** The explanation the server made for a job, once it is done (bounded): what the server says, not what the page shows. */
export async function serverExplanation(ws: Pick<Workspace, 'call'>, jobId: string): Promise<Explanation> {
  const deadline = Date.now() + 120_000;
  let state: ExplainJobState = await ws.call('explain:poll', { jobId });
  while (state.state === 'running' && Date.now() < deadline) {
    await new Promise((ok) => setTimeout(ok, 50));
    state = await ws.call('explain:poll', { jobId });
  }
  if (state.state !== 'done') throw new Error(`job ${jobId} did not finish: ${JSON.stringify(state).slice(0, 300)}`);
  return state.explanation;
}

/** The audit entry on screen exported as a PDF (its button in the audit detail), read back as text with pdftotext, whitespace collapsed. */
export async function exportedEntryPdfText(page: Page): Promise<string> {
  await page.getByTestId('export-entry-pdf').click();
  const note = page.getByTestId('pdf-result');
  await note.waitFor({ timeout: 60_000 });
  const pdfPath = /PDF written: (.+\.pdf) \(/.exec(await note.innerText())?.[1];
  if (!pdfPath || !existsSync(pdfPath)) throw new Error(`no PDF was written: ${await note.innerText()}`);
  return execFileSync('pdftotext', ['-enc', 'UTF-8', pdfPath, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
}
