/**
 * Window presets and their labels on real files: a VOI LUT is offered and drawn as DCMTK draws
 * it, a CT's own windows are not repeated by the generic ones, and an RT Dose opens on its full
 * (fractional) range with labels at a sensible precision.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { applyVoi, loadScan } from '../../electron/imaging/index';
import type { ScanSummary } from '../../electron/api/contract';
import { formatNumber, initialWindow, presetsFor, presetTitle, presetWindow, rangeLabel, windowLabel } from '../../renderer/src/viewer/presets';
import { prepareFrame, renderPrepared, type Window } from '../../renderer/src/viewer/windowing';
import { DICOM_FIXTURES, hasTools, readPnm } from '../imaging/fixtures';
import { testTempDir } from '../temp-dir';

const tmp = testTempDir('candor-presets-');

async function open(file: string) {
  const scan = await loadScan(join(DICOM_FIXTURES, file));
  return { scan, summary: { ...scan.summary, id: file } as ScanSummary, pixels: await scan.frame(1) };
}

/** The grey byte of every pixel as the viewer draws frame 1 under `win`. */
function drawn(summary: ScanSummary, pixels: Float32Array, win: Window): Uint8Array {
  const out = new Uint32Array(summary.width * summary.height);
  renderPrepared(prepareFrame(pixels, summary.width, summary.height, 1, summary.pixelPadding), win, summary.invertedByDefault, out);
  const bytes = new Uint8Array(out.buffer);
  return Uint8Array.from({ length: out.length }, (_, i) => bytes[i * 4]!);
}

function worstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

test('a file with a VOI LUT offers it first, named by its LUT Explanation, and opens drawn through it as DCMTK draws it', { skip: hasTools('dcm2pnm') ? false : 'DCMTK not installed' }, async () => {
  const { summary, pixels } = await open('chest_small_voi_lut.dcm');
  assert.equal(summary.voiLuts?.length, 1);
  const presets = presetsFor(summary);
  assert.deepEqual(presets.map((p) => [p.key, p.name, p.source, Boolean(p.lut)]), [[1, 'GAMMA 2.2 VOI LUT', 'dicom', true], [2, 'Full range', 'range', false]]);
  const lut = presets[0]!;
  assert.equal(lut.lut?.data.length, 4096);
  // A drag from the LUT starts on a linear window over the LUT's input range.
  assert.ok(lut.center > 0 && lut.center < 4096 && lut.width > 1000, `${lut.center}/${lut.width}`);

  const win = initialWindow(summary);
  assert.equal(win.lut, lut.lut);
  assert.deepEqual(presetWindow(lut), win);
  assert.equal(windowLabel(win, summary.valueRange), 'GAMMA 2.2 VOI LUT');
  assert.equal(presetTitle(lut, summary.valueRange), 'the file’s VOI LUT (4096 entries) (key 1)');

  const out = join(tmp, 'voi-lut.pgm');
  execFileSync('dcm2pnm', ['+Wl', '1', '+op', join(DICOM_FIXTURES, 'chest_small_voi_lut.dcm'), out]);
  const viaLut = drawn(summary, pixels, win);
  assert.ok(worstDifference(viaLut, readPnm(out)) <= 1, 'the LUT preset draws as dcm2pnm +Wl 1');
  // And it is not the full-range window drawn under another name.
  assert.ok(worstDifference(drawn(summary, pixels, presetWindow(presets[1]!)), viaLut) > 20);
});

test('a CT lists its own SOFT_TISSUE and LUNG once: the generic presets with the same window or name are left out', async () => {
  const { summary } = await open('ct_signed_rescale_windows.dcm');
  assert.deepEqual(summary.windows.map((w) => w.name), ['SOFT_TISSUE', 'LUNG']);
  assert.deepEqual(presetsFor(summary).map((p) => `${p.key} ${p.name}`), ['1 SOFT_TISSUE', '2 LUNG', '3 Full range', '4 Bone', '5 Brain', '6 Liver']);

  // Same name up to case, spaces and underscores, other values: still the file's own only.
  const renamed = { ...summary, windows: [{ name: 'soft  tissue', center: 50, width: 350 }, { name: 'BONE-WINDOW', center: 500, width: 2000 }] };
  assert.deepEqual(presetsFor(renamed).map((p) => p.name), ['soft  tissue', 'BONE-WINDOW', 'Full range', 'Lung', 'Bone', 'Brain', 'Liver']);

  // A CT without windows of its own keeps every generic preset.
  const plain = (await open('real_CT_small.dcm')).summary;
  assert.deepEqual(presetsFor(plain).map((p) => p.name), ['Full range', 'Soft tissue', 'Lung', 'Bone', 'Brain', 'Liver']);
  assert.equal(windowLabel(presetWindow(presetsFor(plain)[1]!), plain.valueRange), 'W 400 / L 40');
  assert.equal(rangeLabel(plain.valueRange), '-896 … 1167');
});

test('an RT Dose opens on its full fractional range, drawn as a ramp, with values to 3–4 significant digits', async () => {
  const { summary, pixels } = await open('real_rtdose.dcm');
  assert.equal(summary.modality, 'RTDOSE');
  const { min, max } = summary.valueRange;
  assert.ok(max - min < 1, `a relative dose spans less than 1: ${min}…${max}`);
  const presets = presetsFor(summary);
  assert.deepEqual(presets.map((p) => p.name), ['Full range']);
  const win = initialWindow(summary);
  assert.ok(Math.abs(win.width - (max - min)) < 1e-9 && Math.abs(win.center - (min + max) / 2) < 1e-9, JSON.stringify(win));
  assert.equal(windowLabel(win, summary.valueRange), 'W 0.459 / L 1.024');
  assert.equal(rangeLabel(summary.valueRange), '0.795 … 1.254');
  assert.equal(presetTitle(presets[0]!, summary.valueRange), 'C 1.024 W 0.459 (key 1)');

  // Drawn as PS3.3 LINEAR_EXACT over the range (the imaging room's applyVoi): black to white, not a threshold.
  const grey = drawn(summary, pixels, win);
  const reference = applyVoi(pixels, { kind: 'window', center: win.center, width: win.width, fn: 'LINEAR_EXACT' }).map((v) => Math.round(v * 255));
  assert.ok(worstDifference(grey, reference) <= 1);
  assert.ok(new Set(grey).size > 20, `${new Set(grey).size} grey levels`);
});

test('numbers are shown at the precision of the span they are read against', () => {
  assert.equal(formatNumber(40, 4095), '40');
  assert.equal(formatNumber(1023.5, 4095), '1024');
  assert.equal(formatNumber(-0.2, 4095), '0');
  assert.equal(formatNumber(35.1634, 70), '35.2');
  assert.equal(formatNumber(1.2, 2.5), '1.2');
  assert.equal(formatNumber(0.123456, 0.01), '0.1235');
  assert.equal(formatNumber(5, 0), '5');
  assert.equal(formatNumber(Number.NaN, 1), 'NaN');
});
