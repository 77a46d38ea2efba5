import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { planGeometry, preprocess, resizeRgb, toRgb255, type PreprocessConfig } from '../../native-models/clip/preprocess';
import { modelMapToScan } from '../../native-models/explain/maps';
import { ClipTokenizer, groupWords } from '../../native-models/clip/tokenizer';
import { MINI } from './helpers';

const FIX = join(import.meta.dirname, 'fixtures');

function source(w: number, h: number): Float32Array {
  const out = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      out[p] = (x * 7 + y * 13) % 256;
      out[p + 1] = Math.trunc(127.5 + 127.5 * Math.sin(x * 0.3) * Math.cos(y * 0.2));
      out[p + 2] = (Math.floor(x / 5) + Math.floor(y / 5)) % 2 ? 255 : 0;
    }
  }
  return out;
}

for (const [w, h, ow, oh, name] of [[50, 37, 86, 64, 'up'], [200, 150, 85, 64, 'down']] as const) {
  test(`bicubic resize matches PIL (${name}: ${w}×${h} → ${ow}×${oh}) within PIL's uint8 rounding`, () => {
    const png = decode(readFileSync(join(FIX, `pil_bicubic_${name}_${w}x${h}_to_${ow}x${oh}.png`)));
    assert.equal(png.width, ow);
    const ours = resizeRgb(source(w, h), w, h, ow, oh, 3);
    let worst = 0;
    for (let i = 0; i < ow * oh; i++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(ours[i * 3 + c] - png.data[i * png.channels + c]));
    assert.equal(worst, 0, `max difference ${worst}`);
  });
}

const CFG: PreprocessConfig = {
  shortestEdge: 64, cropWidth: 64, cropHeight: 64, doResize: true, doCenterCrop: true, doRescale: true, rescaleFactor: 1 / 255, doNormalize: true,
  mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711], resample: 3,
};

test('resize + center crop geometry maps model pixels back to the right scan columns', () => {
  const g = planGeometry(CFG, 200, 150, false);
  assert.deepEqual([g.resizedW, g.resizedH, g.cropX, g.cropY], [85, 64, 10, 0]);
  const t = g.transform;
  // A map that is hot only in model column 0 must land at scan x ≈ 10·150/64 … 11·150/64.
  const map = new Float64Array(64 * 64);
  for (let y = 0; y < 64; y++) map[y * 64] = 1;
  const s = modelMapToScan(map, t, 10000);
  assert.deepEqual([s.width, s.height], [200, 150]);
  const row = Array.from(s.values.subarray(75 * 200, 76 * 200));
  const hot = row.map((v, i) => [v, i] as const).filter(([v]) => v > 0.5).map(([, i]) => i);
  assert.ok(hot.length > 0 && Math.min(...hot) >= 22 && Math.max(...hot) <= 25, `hot columns ${hot}`);
  assert.equal(row[5], 0, 'cropped-away columns get 0');
  assert.equal(row[195], 0);
});

test('letterbox pads to a square and keeps the transform; a large scan map is reduced to ≤ 512', () => {
  const w = 1200, h = 600;
  const px = new Float32Array(w * h).fill(1000);
  const { pixelValues, transform } = preprocess({ preprocessor: CFG, imageSize: 64 }, { width: w, height: h, channels: 1, pixels: px, window: { center: 1000, width: 400 }, invert: false }, { letterbox: true });
  assert.equal(pixelValues.length, 3 * 64 * 64);
  // Top rows are padding (black → normalized (0 − mean)/std), the middle is the scan (gray 127.5/255).
  assert.ok(Math.abs(pixelValues[0] - (0 - 0.48145466) / 0.26862954) < 1e-5);
  assert.ok(Math.abs(pixelValues[32 * 64 + 32] - (127.5 / 255 - 0.48145466) / 0.26862954) < 0.01);
  assert.ok(Math.abs(transform.scaleX - 1200 / 64) < 1e-9 && Math.abs(transform.offsetY - -300) < 1e-9);
  const s = modelMapToScan(new Float64Array(64 * 64).fill(0.5), transform);
  assert.deepEqual([s.width, s.height], [512, 256]);
  assert.ok(s.values.every((v) => Math.abs(v - 0.5) < 1e-6), 'the whole scan is inside the letterboxed view');
});

test('VOI window, invert and gray → RGB', () => {
  const img = { width: 4, height: 1, channels: 1 as const, pixels: Float32Array.from([-1000, 40, 80, 3000]), window: { center: 40, width: 80 }, invert: false };
  const rgb = toRgb255(img);
  assert.equal(rgb[0], 0);
  assert.equal(rgb[9], 255);
  assert.equal(rgb[3], Math.round((255 * 40) / 79));
  assert.equal(rgb[3], rgb[4]);
  const inv = toRgb255({ ...img, invert: true });
  assert.equal(inv[0], 255);
  assert.throws(() => toRgb255({ ...img, pixels: new Float32Array(3) }), /expected 4×1×1/);
});

test('a grey scan resized as one channel gives the pixel values of the same scan given as RGB, bit for bit (every resampling, window, invert, letterbox)', () => {
  const w = 97, h = 61;
  const gray = new Float32Array(w * h);
  for (let i = 0; i < gray.length; i++) gray[i] = 300 * Math.sin(i * 0.37) + (i % 29) * 11;
  const rgb = new Float32Array(w * h * 3);
  for (let i = 0; i < gray.length; i++) rgb.fill(gray[i], i * 3, i * 3 + 3);
  let compared = 0;
  for (const resample of [0, 2, 3]) {
    for (const window of [null, { center: 100, width: 500 }]) {
      for (const invert of [false, true]) {
        for (const letterbox of [false, true]) {
          const cfg = { ...CFG, resample };
          // An RGB scan is not stretched to its range as a grey one is: give both the same 0..255 values when no window is set.
          const g = window ? gray : Float32Array.from(toRgb255({ width: w, height: h, channels: 1, pixels: gray, window: null, invert: false }).filter((_, i) => i % 3 === 0));
          const c = window ? rgb : toRgb255({ width: w, height: h, channels: 1, pixels: gray, window: null, invert: false });
          const one = preprocess({ preprocessor: cfg, imageSize: 64 }, { width: w, height: h, channels: 1, pixels: g, window, invert }, { letterbox });
          const three = preprocess({ preprocessor: cfg, imageSize: 64 }, { width: w, height: h, channels: 3, pixels: c, window, invert }, { letterbox });
          assert.deepEqual(one.transform, three.transform);
          assert.ok(Buffer.from(one.pixelValues.buffer).equals(Buffer.from(three.pixelValues.buffer)), `resample ${resample}, window ${JSON.stringify(window)}, invert ${invert}, letterbox ${letterbox}`);
          compared++;
        }
      }
    }
  }
  assert.equal(compared, 24);
});

test('token offsets survive case, accents, punctuation and unknown words', () => {
  const tj = JSON.parse(readFileSync(join(MINI, 'tokenizer.json'), 'utf8'));
  const tc = JSON.parse(readFileSync(join(MINI, 'tokenizer_config.json'), 'utf8'));
  const tk = new ClipTokenizer(tj, tc, 32, 'mini');
  const text = 'LEFT  Pneumothorax — Ödem, 5mm nodule!';
  const r = tk.encode(text);
  // Counted by hand: "LEFT" 0–4, two spaces, "Pneumothorax" 6–18, a space, "—" 19, a space,
  // "Ödem" 21–25, "," 25, a space, "5mm" 27–30, a space, "nodule" 31–37, "!" 37.
  const expected: [string, number, number][] = [
    ['LEFT', 0, 4], ['Pneumothorax', 6, 18], ['—', 19, 20], ['Ödem', 21, 25], [',', 25, 26], ['5mm', 27, 30], ['nodule', 31, 37], ['!', 37, 38],
  ];
  assert.deepEqual(r.tokens.filter((t) => !t.special).map((t) => [t.text, t.start, t.end]), expected);
  assert.deepEqual(groupWords(text, r.tokens).map((w) => [w.text, w.start, w.end]), expected);
});
