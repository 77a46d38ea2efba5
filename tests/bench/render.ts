/**
 * Window/level render speed in the test browser (Debian Chromium, headless, no GPU): a
 * 2048×2500 16-bit frame is prepared once, then each window change runs the viewer's own
 * code path (lookup table + putImageData into the on-screen canvas) and waits for the next
 * animation frame, so the figure covers what a drag step costs. Target: under 16 ms per update.
 */
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { fileURLToPath } from 'node:url';

const CHROMIUM = process.env.CANDOR_CHROMIUM ?? '/usr/bin/chromium';
const W = 2048, H = 2500, UPDATES = 60;

interface Figures {
  level: number;
  size: string;
  prepareMs: number;
  renderMs: number[];
  frameMs: number[];
}

async function bundle(): Promise<string> {
  const entry = fileURLToPath(new URL('../../renderer/src/viewer/windowing.ts', import.meta.url));
  const out = await build({ entryPoints: [entry], bundle: true, write: false, format: 'iife', globalName: 'Windowing', platform: 'browser', target: 'es2022' });
  return out.outputFiles[0]!.text;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(2)} ms · p95 ${q(0.95).toFixed(2)} ms · max ${s[s.length - 1]!.toFixed(2)} ms`;
}

export async function run(): Promise<void> {
  const code = await bundle();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.setContent('<!doctype html><body style="margin:0;background:#000"><canvas id="c" style="width:700px;height:855px"></canvas></body>');
    // tsx names inner functions through a __name helper that the page does not have.
    await page.addScriptTag({ content: 'window.__name = (f) => f;' });
    await page.addScriptTag({ content: code });
    const all = await page.evaluate(
      async ({ W, H, UPDATES }): Promise<Figures[]> => {
        type Api = typeof import('../../renderer/src/viewer/windowing');
        const lib = (window as unknown as { Windowing: Api }).Windowing;
        const px = new Float32Array(W * H);
        let s = 12345;
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) {
            s = (s * 1664525 + 1013904223) >>> 0;
            // A 12-bit-in-16-bit radiograph-like ramp with noise.
            px[y * W + x] = Math.round(((x + y) / (W + H)) * 3500 + (s >>> 24));
          }
        const canvas = document.getElementById('c') as HTMLCanvasElement;
        const ctx = canvas.getContext('2d')!;
        const nextFrame = () => new Promise<number>((ok) => requestAnimationFrame((t) => ok(t)));
        // Level 0: every image pixel. The viewer's level: fitted into the 700×855 px element, as on screen.
        const fitZoom = Math.min(700 / W, 855 / H);
        const out: Figures[] = [];
        for (const level of [0, lib.levelFor(fitZoom, 1)]) {
          const t0 = performance.now();
          const d = lib.downsample(px, W, H, 1, 2 ** level);
          const prepared = lib.prepareFrame(d.pixels, d.width, d.height, 1);
          const prepareMs = performance.now() - t0;
          canvas.width = d.width;
          canvas.height = d.height;
          const image = ctx.createImageData(d.width, d.height);
          const words = new Uint32Array(image.data.buffer);
          const lut = new Uint32Array(prepared.bins);
          const renderMs: number[] = [];
          const frameMs: number[] = [];
          await nextFrame();
          for (let k = 0; k < UPDATES; k++) {
            const win = { center: 1500 + k * 17, width: 800 + k * 29 };
            const a = performance.now();
            lib.renderPrepared(prepared, win, false, words, lut);
            ctx.putImageData(image, 0, 0);
            renderMs.push(performance.now() - a);
            await nextFrame();
            frameMs.push(performance.now() - a);
          }
          out.push({ level, size: `${d.width}×${d.height}`, prepareMs, renderMs, frameMs });
        }
        return out;
      },
      { W, H, UPDATES },
    );
    console.log(`render: ${W}×${H} 16-bit frame, window/level updates in ${CHROMIUM} (headless, software, ${UPDATES} updates)`);
    for (const f of all) {
      console.log(`  level ${f.level} (${f.size} drawn${f.level ? ', the viewer at fit' : ', every pixel'}): prepare once ${f.prepareMs.toFixed(0)} ms`);
      console.log(`    LUT + putImageData: ${stats(f.renderMs)}`);
      console.log(`    until the next animation frame: ${stats(f.frameMs)}`);
    }
    const viewer = all[all.length - 1]!;
    const med = [...viewer.renderMs].sort((a, b) => a - b)[Math.floor(viewer.renderMs.length / 2)]!;
    console.log(`  target < 16 ms per update at the viewer's level: ${med < 16 ? 'met' : 'NOT met'} (median ${med.toFixed(2)} ms)`);
  } finally {
    await browser.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();
