import { test } from 'node:test';
import assert from 'node:assert/strict';
import { viridis, VIRIDIS_TABLE } from '../../renderer/src/overlay/colormap';
import { mapProblem, overlayAlpha, renderHeatmap, sampleMap } from '../../renderer/src/overlay/heatmap';
import { segmentText, splitSentences } from '../../renderer/src/report/text';
import { checkExplanation } from '../../renderer/src/explain/runJob';
import type { Explanation } from '../../electron/api/contract';

test('the screen uses the PDF report’s viridis, close to matplotlib’s table, ordered in luminance', async () => {
  const shared = await import('../../electron/api/colormap');
  for (let k = 0; k < 256; k++) assert.deepEqual(VIRIDIS_TABLE[k], shared.viridis(k / 255));
  assert.equal(viridis, shared.viridis);
  // Entries of matplotlib's _viridis_data: the ten-stop palette stays within 12 of 255 levels of it (largest near yellow).
  const reference: [number, [number, number, number]][] = [
    [8, [0.277018, 0.050344, 0.375715]],
    [100, [0.166617, 0.463708, 0.558119]],
    [128, [0.127568, 0.566949, 0.550556]],
    [200, [0.440137, 0.811138, 0.340967]],
    [250, [0.945636, 0.899815, 0.112838]],
  ];
  for (const [k, rgb] of reference) {
    const got = viridis(k / 255);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(got[c]! - rgb[c]! * 255) <= 12, `entry ${k} channel ${c}: ${got[c]} vs ${rgb[c]! * 255}`);
  }
  assert.deepEqual(VIRIDIS_TABLE[0], [68, 1, 84]);
  assert.deepEqual(VIRIDIS_TABLE[255], [253, 231, 37]);
  // Perceptually ordered: luminance rises monotonically, so the map also reads in grey.
  let last = -1;
  for (const [r, g, b] of VIRIDIS_TABLE) {
    const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    assert.ok(y >= last - 0.5);
    last = y;
  }
});

test('the overlay is transparent at zero and below the threshold, and opacity scales alpha', () => {
  const values = new Float32Array([0, 0.1, 0.3, 0.5, 1]);
  const out = new Uint8ClampedArray(20);
  renderHeatmap(values, { opacity: 0.8, threshold: 0.2 }, out);
  assert.equal(out[3], 0, 'zero is transparent');
  assert.equal(out[7], 0, 'below threshold hidden');
  assert.equal(out[11], Math.round(255 * 0.8 * 0.3), 'alpha = opacity × value, the PDF’s rule');
  assert.equal(out[15], Math.round(255 * 0.8 * 0.5));
  assert.equal(out[19], Math.round(255 * 0.8));
  assert.deepEqual([...out.subarray(16, 19)], VIRIDIS_TABLE[255]);
  assert.equal(overlayAlpha(NaN, { opacity: 1, threshold: 0 }), 0);
  assert.equal(overlayAlpha(1, { opacity: 0, threshold: 0 }), 0);
});

test('sampleMap reads a coarse map in scan coordinates', () => {
  const map = { width: 2, height: 2, values: new Float32Array([0.1, 0.2, 0.3, 0.4]) };
  assert.equal(sampleMap(map, 100, 50, 0, 0), map.values[0]);
  assert.equal(sampleMap(map, 100, 50, 99, 0), map.values[1]);
  assert.equal(sampleMap(map, 100, 50, 10, 49), map.values[2]);
  assert.equal(sampleMap(map, 100, 50, 100, 0), null);
});

test('a map with NaN or the wrong size is reported, never drawn', () => {
  assert.match(mapProblem({ width: 2, height: 2, values: new Float32Array([0, NaN, 1, 1]) }) ?? '', /1 values that are not numbers/);
  assert.match(mapProblem({ width: 3, height: 2, values: new Float32Array(4) }) ?? '', /holds 4 values, 3×2 expected/);
  assert.equal(mapProblem({ width: 2, height: 2, values: new Float32Array(4) }), null);
});

test('sentences split at full stops and line breaks with their character spans', () => {
  const text = 'Round opacity in the left upper zone. No effusion!\nHeart size normal';
  const s = splitSentences(text);
  assert.deepEqual(s.map((x) => x.text), ['Round opacity in the left upper zone.', 'No effusion!', 'Heart size normal']);
  for (const x of s) assert.equal(text.slice(x.start, x.end), x.text);
  assert.deepEqual(splitSentences('  \n '), []);
  assert.deepEqual(splitSentences('Value 3.5 cm.').map((x) => x.text), ['Value 3.5 cm.']);
});

test('word segments cover the text exactly; spans that do not match are skipped, not misdrawn', () => {
  const text = 'left upper zone';
  const words = [
    { text: 'left', start: 0, end: 4, raw: 1, normalized: 1 },
    { text: 'zone', start: 11, end: 15, raw: 0.5, normalized: 0.5 },
    { text: 'bogus', start: 5, end: 10, raw: 0.2, normalized: 0.2 },
    { text: 'x', start: 20, end: 22, raw: 0, normalized: 0 },
  ];
  const { segments, skipped } = segmentText(text, words);
  assert.equal(segments.map((s) => s.text).join(''), text);
  assert.deepEqual(segments.filter((s) => s.word).map((s) => s.text), ['left', 'zone']);
  assert.equal(skipped, 2);
});

function explanation(overrides: Partial<Explanation>): Explanation {
  return {
    id: 'e1', method: 'nib', params: { layer: 9, steps: 10, target: 'both' }, similarity: 0.3,
    model: { name: 'm', sha256: 'a'.repeat(64) }, input: { scanSha256: 'b', frame: 1, text: 't', textSha256: 'c' },
    provider: 'cpu', image: null, text: null, metrics: {}, timings: {}, warnings: [], ...overrides,
  };
}

test('an explanation with NaN similarity, a NaN map or NaN word scores is refused with the reason', () => {
  assert.throws(() => checkExplanation(explanation({ similarity: NaN })), /similarity that is not a number/);
  const image = { grid: [2, 2] as [number, number], tokenScores: [], map: { width: 2, height: 1, values: new Float32Array([0, NaN]) } };
  assert.throws(() => checkExplanation(explanation({ image })), /not numbers/);
  const text = { tokens: [], words: [{ text: 't', start: 0, end: 1, raw: NaN, normalized: NaN }] };
  assert.throws(() => checkExplanation(explanation({ text })), /word scores are not numbers/);
  assert.equal(checkExplanation(explanation({})).id, 'e1');
});

test('CJK sentence punctuation (。！？；) ends a sentence with no space after it', () => {
  const text = '右上肺野に結節を認める。胸水なし！心拡大は？左肺；異常なし';
  const s = splitSentences(text);
  assert.deepEqual(s.map((x) => x.text), ['右上肺野に結節を認める。', '胸水なし！', '心拡大は？', '左肺；', '異常なし']);
  for (const x of s) assert.equal(text.slice(x.start, x.end), x.text);
  assert.deepEqual(splitSentences('右肺に結節。」次の文。').map((x) => x.text), ['右肺に結節。」', '次の文。'], 'a closing quote stays with its sentence');
  assert.deepEqual(splitSentences('Nodule 3.5 cm。No effusion.').map((x) => x.text), ['Nodule 3.5 cm。', 'No effusion.'], 'mixed text');
});
