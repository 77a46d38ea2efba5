import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlayAlpha, viridis, viridisCss, viridisLut } from '../../electron/api/colormap';
import { colourBar, composeScanAndOverlay } from '../../electron/report/overlay';

test('viridis matches the published 5-step palette and is monotone in lightness', () => {
  // matplotlib viridis(0, .25, .5, .75, 1): #440154 #3b528b #21918c #5ec962 #fde725
  const ref: [number, [number, number, number]][] = [[0, [0x44, 0x01, 0x54]], [0.25, [0x3b, 0x52, 0x8b]], [0.5, [0x21, 0x91, 0x8c]], [0.75, [0x5e, 0xc9, 0x62]], [1, [0xfd, 0xe7, 0x25]]];
  for (const [t, rgb] of ref) {
    const c = viridis(t);
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(c[k] - rgb[k]) <= 3, `viridis(${t}) = ${c}, expected ≈ ${rgb}`);
  }
  let prev = -1;
  for (let i = 0; i <= 100; i++) {
    const [r, g, b] = viridis(i / 100);
    const luma = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    assert.ok(luma > prev, `lightness rises at ${i / 100}`);
    prev = luma;
  }
  assert.deepEqual(viridis(-1), viridis(0));
  assert.deepEqual(viridis(NaN), viridis(0));
  assert.deepEqual(viridis(7), viridis(1));
  const lut = viridisLut();
  assert.deepEqual([...lut.subarray(255 * 3)], viridis(1));
  assert.equal(viridisCss(1), 'rgb(253, 231, 37)');
  assert.equal(overlayAlpha(0), 0);
});

test('overlay blends the map in scan coordinates, leaves cold regions untouched', () => {
  const scan = { width: 40, height: 20, gray: new Uint8Array(800).fill(50) };
  const values = new Float32Array(8 * 4);
  values[1 * 8 + 6] = 1; // hot cell at map (6, 1) → scan x ≈ 32..37, y ≈ 5..9
  const { scan: plain, overlay } = composeScanAndOverlay(scan, { width: 8, height: 4, values });
  assert.equal(plain!.width, 40);
  const at = (img: { width: number; rgb: Uint8Array }, x: number, y: number) => [...img.rgb.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
  assert.deepEqual(at(plain!, 32, 7), [50, 50, 50]);
  assert.deepEqual(at(overlay!, 2, 15), [50, 50, 50], 'cold: the scan shows through');
  const hot = at(overlay!, 32, 7);
  assert.ok(hot[0] > 150 && hot[1] > 150 && hot[2] < 60, `hot: viridis yellow blended (${hot})`);
  const big = composeScanAndOverlay({ width: 2000, height: 1000, gray: new Uint8Array(2_000_000) }, null, 512);
  assert.deepEqual([big.scan!.width, big.scan!.height], [512, 256]);
  assert.equal(big.overlay, null);
  const bar = colourBar(10, 2);
  assert.deepEqual(at(bar, 0, 1), viridis(0));
  assert.deepEqual(at(bar, 9, 0), viridis(1));
});
