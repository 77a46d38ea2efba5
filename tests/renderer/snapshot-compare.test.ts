// The screenshot comparison the e2e tests use (tests/e2e/snapshots.ts): it forgives a region a
// few pixels smaller and single-pixel edge differences, and it catches a map that moved, changed
// colour or disappeared, a window that changed, and a region of another shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePng, encodePng, mismatch, reduce, type Rgb } from '../e2e/snapshots';

/** A scan-like picture: a ramp with a bright disc and, optionally, a coloured spot (the map). */
function picture(w: number, h: number, opts: { spot?: [number, number, number] | null; spotAt?: [number, number]; gain?: number } = {}): Rgb {
  const data = new Uint8Array(w * h * 3);
  const [sx, sy] = opts.spotAt ?? [0.3, 0.25];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = x / w, v = y / h;
      let g = 40 + 120 * u + ((u - 0.6) ** 2 + (v - 0.5) ** 2 < 0.04 ? 80 : 0);
      g = Math.min(255, g + (opts.gain ?? 0));
      let rgb = [g, g, g];
      if (opts.spot && (u - sx) ** 2 + (v - sy) ** 2 < 0.0025) rgb = opts.spot;
      data.set(rgb.map(Math.round), (y * w + x) * 3);
    }
  }
  return { width: w, height: h, data };
}

const YELLOW: [number, number, number] = [253, 231, 37];
const stored = reduce(picture(840, 780, { spot: YELLOW }));

test('the same view matches, also drawn a few pixels smaller and through a PNG round trip', () => {
  assert.equal(mismatch(stored, picture(840, 780, { spot: YELLOW })), null);
  assert.equal(mismatch(stored, picture(834, 776, { spot: YELLOW })), null);
  assert.equal(mismatch(decodePng(encodePng(stored)), picture(840, 780, { spot: YELLOW })), null);
  // Antialiasing-like noise: single pixels off by 60 here and there.
  const noisy = picture(840, 780, { spot: YELLOW });
  for (let i = 0; i < noisy.data.length; i += 3 * 97) noisy.data[i] = Math.min(255, noisy.data[i]! + 60);
  assert.equal(mismatch(stored, noisy), null);
});

test('a map that is missing, moved or recoloured, a changed window, another shape: each is caught', () => {
  assert.match(mismatch(stored, picture(840, 780, { spot: null })) ?? '', /a patch differs/, 'no map');
  assert.match(mismatch(stored, picture(840, 780, { spot: YELLOW, spotAt: [0.36, 0.25] })) ?? '', /a patch differs/, 'map moved by 6% of the width');
  assert.match(mismatch(stored, picture(840, 780, { spot: [37, 231, 253] })) ?? '', /a patch differs/, 'red and blue swapped');
  assert.match(mismatch(stored, picture(840, 780, { spot: YELLOW, gain: 12 })) ?? '', /mean difference/, 'a brighter window');
  assert.match(mismatch(stored, picture(840, 600, { spot: YELLOW })) ?? '', /shape changed/);
});
