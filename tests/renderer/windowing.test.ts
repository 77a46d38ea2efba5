import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLut, prepareFrame, renderPrepared, renderToRgba, windowValue } from '../../renderer/src/viewer/windowing';
import { fitTransform, screenToImage, zoomAbout, actualSizeTransform } from '../../renderer/src/viewer/transform';
import { presetsFor } from '../../renderer/src/viewer/presets';
import type { ScanSummary } from '../../electron/api/contract';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

test('DICOM linear VOI: values at the window edges map to 0 and 255, the centre to mid-grey', () => {
  // PS3.3 C.11.2.1.2: x <= c - 0.5 - (w-1)/2 → 0; x > c - 0.5 + (w-1)/2 → 255.
  const win = { center: 40, width: 400 };
  assert.equal(windowValue(40 - 0.5 - 399 / 2, win, false), 0);
  assert.equal(windowValue(40 - 0.5 + 399 / 2, win, false), 255);
  assert.ok(Math.abs(windowValue(40, win, false) - 127.5 - 255 / 399 / 2) < 1e-9);
  assert.equal(windowValue(-2000, win, true), 255);
});

test('the lookup-table renderer equals the per-pixel reference exactly on 16-bit integer data', () => {
  const rnd = lcg(7);
  const w = 97, h = 61;
  const px = new Float32Array(w * h);
  for (let i = 0; i < px.length; i++) px[i] = Math.round(-1024 + rnd() * 4095);
  const prepared = prepareFrame(px, w, h, 1);
  assert.equal(prepared.exact, true);
  for (const [win, inv] of [[{ center: 40, width: 400 }, false], [{ center: -600, width: 1500 }, true], [{ center: 3000, width: 1 }, false]] as const) {
    const ref = new Uint8ClampedArray(w * h * 4);
    renderToRgba(px, 1, win, inv, ref);
    const out = new Uint8ClampedArray(w * h * 4);
    renderPrepared(prepared, win, inv, new Uint32Array(out.buffer));
    assert.deepEqual(out, ref, `window ${JSON.stringify(win)} invert ${inv}`);
  }
});

test('float data is binned into 65536 levels: at most one grey level from the reference', () => {
  const rnd = lcg(3);
  const w = 50, h = 40;
  const px = new Float32Array(w * h);
  for (let i = 0; i < px.length; i++) px[i] = rnd() * 1000 - 300.25;
  px[5] = NaN;
  const prepared = prepareFrame(px, w, h, 1);
  assert.equal(prepared.exact, false);
  const win = { center: 100, width: 37 };
  const ref = new Uint8ClampedArray(w * h * 4);
  renderToRgba(px, 1, win, false, ref);
  const out = new Uint8ClampedArray(w * h * 4);
  renderPrepared(prepared, win, false, new Uint32Array(out.buffer));
  let worst = 0;
  for (let i = 0; i < out.length; i += 4) if (i !== 20) worst = Math.max(worst, Math.abs(out[i]! - ref[i]!));
  assert.ok(worst <= 1, `worst difference ${worst}`);
  assert.equal(out[20], 0, 'a NaN pixel draws as the lowest value, not garbage');
});

test('colour frames keep their RGB and invert', () => {
  const px = new Float32Array([10, 20, 30, 200, 100, 0]);
  const prepared = prepareFrame(px, 2, 1, 3);
  const out = new Uint8ClampedArray(8);
  renderPrepared(prepared, { center: 0, width: 1 }, false, new Uint32Array(out.buffer));
  assert.deepEqual([...out], [10, 20, 30, 255, 200, 100, 0, 255]);
  renderPrepared(prepared, { center: 0, width: 1 }, true, new Uint32Array(out.buffer));
  assert.deepEqual([...out], [245, 235, 225, 255, 55, 155, 255, 255]);
});

test('a frame with fewer values than its size is refused with a clear error', () => {
  assert.throws(() => prepareFrame(new Float32Array(10), 4, 4, 1), /10 values, 4×4×1 expected/);
});

test('buildLut reuses a large enough scratch table', () => {
  const p = prepareFrame(new Float32Array([0, 1, 2, 3]), 2, 2, 1);
  const scratch = new Uint32Array(16);
  assert.equal(buildLut(p, { center: 1.5, width: 4 }, false, scratch), scratch);
});

test('fit centres the image; zoom keeps the point under the cursor; 1:1 gives zoom 1', () => {
  const t = fitTransform(2048, 2500, 1000, 800);
  assert.ok(Math.abs(t.zoom - 0.32) < 1e-12);
  assert.ok(Math.abs(t.panX - (1000 - 2048 * 0.32) / 2) < 1e-9 && Math.abs(t.panY) < 1e-9);
  const before = screenToImage(t, 300, 200);
  const z = zoomAbout(t, 2.5, 300, 200);
  const after = screenToImage(z, 300, 200);
  assert.ok(Math.abs(before.x - after.x) < 1e-9 && Math.abs(before.y - after.y) < 1e-9);
  assert.ok(Math.abs(actualSizeTransform(z, 1000, 800).zoom - 1) < 1e-12);
});

test('presets: the DICOM file’s own first, then full range, then CT presets on the number keys', () => {
  const scan = {
    channels: 1, units: 'HU', valueRange: { min: -1024, max: 3071 },
    windows: [{ name: 'WINDOW1', center: 50, width: 350 }],
  } as unknown as ScanSummary;
  const p = presetsFor(scan);
  assert.deepEqual(p.slice(0, 3).map((x) => [x.key, x.name, x.source]), [[1, 'WINDOW1', 'dicom'], [2, 'Full range', 'range'], [3, 'Soft tissue', 'modality']]);
  assert.equal(p[1]!.width, 4095);
  const png = presetsFor({ ...scan, units: '', windows: [] } as ScanSummary);
  assert.deepEqual(png.map((x) => x.name), ['Full range']);
});

test('downsampling averages boxes (edge boxes included) and the level keeps screen resolution', async () => {
  const { downsample, levelFor } = await import('../../renderer/src/viewer/windowing');
  const px = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]); // 5×3
  const d = downsample(px, 5, 3, 1, 2);
  assert.equal(d.width, 3);
  assert.equal(d.height, 2);
  assert.deepEqual([...d.pixels], [(1 + 2 + 6 + 7) / 4, (3 + 4 + 8 + 9) / 4, (5 + 10) / 2, (11 + 12) / 2, (13 + 14) / 2, 15]);
  assert.equal(levelFor(1), 0);
  assert.equal(levelFor(0.5), 0);
  assert.equal(levelFor(0.34), 1);
  assert.equal(levelFor(0.2), 2);
  assert.equal(levelFor(0.34, 2), 0, 'a HiDPI screen needs the full image');
});

test('pixel padding draws black under any window, inverted or not; other values as the reference', () => {
  const rnd = lcg(11);
  const w = 40, h = 30;
  const px = new Float32Array(w * h);
  for (let i = 0; i < px.length; i++) px[i] = i % 7 === 0 ? -2000 : Math.round(-1024 + rnd() * 3000);
  const padding = { min: -2000, max: -2000 };
  const prepared = prepareFrame(px, w, h, 1, padding);
  for (const invert of [false, true]) {
    // A window that would draw -2000 white when inverted and mid-grey on a wide window.
    for (const win of [{ center: 40, width: 400 }, { center: -2000, width: 4000 }]) {
      const out = new Uint32Array(w * h);
      renderPrepared(prepared, win, invert, out);
      const bytes = new Uint8Array(out.buffer);
      for (let i = 0; i < px.length; i++) {
        const grey = px[i] === -2000 ? 0 : Uint8ClampedArray.of(windowValue(px[i]!, win, invert))[0];
        assert.equal(bytes[i * 4], grey, `pixel ${i} (value ${px[i]}) invert=${invert} window=${JSON.stringify(win)}`);
        assert.equal(bytes[i * 4 + 3], 255);
      }
    }
  }
  // Without padding the same value is an ordinary value.
  const plain = new Uint32Array(w * h);
  renderPrepared(prepareFrame(px, w, h, 1), { center: 40, width: 400 }, true, plain);
  assert.equal(new Uint8Array(plain.buffer)[0], 255);
});
