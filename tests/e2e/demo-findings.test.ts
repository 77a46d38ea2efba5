/**
 * The demo's promise, checked the way a radiologist sees it: open each bundled phantom study with a
 * finding, click the finding's sentence, and the hottest point of the NIB heat map drawn over
 * the scan lies inside the finding (the generator's mask, shipped beside the study). The map is read
 * back from the overlay canvas itself: its brightest viridis colour is the map's maximum.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decode } from 'fast-png';
import { openWorkspace, type Workspace } from './harness';
import { resolveResources } from '../../electron/paths';
import { repoRoot } from '../../electron/version';
import { VIRIDIS_TABLE } from '../../renderer/src/overlay/colormap';

interface DemoFinding { type: string; sentence: string; mask: string }
interface DemoStudy { id: string; title: string; scan: string; findings: DemoFinding[] }

const FOCAL = new Set(['nodule', 'mass', 'consolidation', 'pneumothorax']);
const resources = resolveResources(repoRoot());
const indexFile = resources.samplesIndex;
const studies: DemoStudy[] = indexFile ? (JSON.parse(readFileSync(indexFile, 'utf8')) as { studies: DemoStudy[] }).studies : [];

let ws: Workspace;
before(async () => {
  ws = await openWorkspace();
});
after(async () => {
  await ws?.close();
});

function readMask(file: string): { width: number; height: number; inside: (x: number, y: number) => boolean } {
  const png = decode(readFileSync(file));
  const { width, height, channels } = png;
  return { width, height, inside: (x, y) => png.data[(y * width + x) * channels] > 0 };
}

/**
 * The overlay's hottest pixels, in canvas coordinates. Alpha grows with the map value and is stored
 * exactly (colours are not: the canvas keeps them premultiplied), so the top alpha marks the map's
 * maximum; their colour must be viridis' top colour, up to that rounding.
 */
async function hottestPixels(): Promise<{ width: number; height: number; points: [number, number][]; offColour: number }> {
  const top = VIRIDIS_TABLE[255];
  return ws.page.getByTestId('overlay-canvas').first().evaluate((el, rgb) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let maxAlpha = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]! > maxAlpha) maxAlpha = d[i]!;
    const points: [number, number][] = [];
    let offColour = 0;
    if (maxAlpha > 0) {
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] !== maxAlpha) continue;
        points.push([(i / 4) % c.width, Math.floor(i / 4 / c.width)]);
        if (Math.abs(d[i]! - rgb[0]) > 6 || Math.abs(d[i + 1]! - rgb[1]) > 6 || Math.abs(d[i + 2]! - rgb[2]) > 6) offColour++;
      }
    }
    return { width: c.width, height: c.height, points, offColour };
  }, top);
}

const cases = studies.flatMap((s, index) => s.findings.map((f) => ({ study: s, index, finding: f })));

test('the bundled demo has focal-finding studies with masks', () => {
  assert.ok(indexFile, 'the demo studies are bundled');
  const focal = cases.filter((c) => FOCAL.has(c.finding.type));
  assert.ok(focal.length >= 3, `focal findings: ${focal.map((f) => f.finding.type).join(', ')}`);
});

for (const { study, index, finding } of cases) {
  test(`${study.id}: explaining "${finding.sentence}" puts the map's maximum inside the ${finding.type}`, async () => {
    const { page } = ws;
    await page.goto(ws.host.url);
    await page.getByTestId('study').nth(index).click();
    await page.getByTestId('scan-title').filter({ hasText: study.title }).waitFor();
    assert.ok((await page.getByTestId('path-input').inputValue()).endsWith(basename(study.scan)), 'the path box names the open scan');
    await page.getByTestId('sentence').filter({ hasText: finding.sentence }).first().click();
    await page.getByTestId('shaded-text').waitFor({ timeout: 120_000 });
    const hot = await hottestPixels();
    assert.ok(hot.points.length > 0, 'the map has a maximum drawn');
    assert.equal(hot.offColour, 0, 'the most opaque overlay pixels are drawn in the colour of the maximum');
    const mask = readMask(join(dirname(indexFile!), finding.mask));
    const inside = hot.points.filter(([x, y]) =>
      mask.inside(Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / hot.width)), Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / hot.height))),
    );
    await ws.screenshot(`50-demo-${study.id}-${finding.type}`);
    assert.ok(inside.length * 2 >= hot.points.length, `${inside.length} of ${hot.points.length} hottest pixels inside the ${finding.type} mask (first at ${hot.points[0]})`);
  });
}
