/** The readable names shared by the review panel, the audit view and the PDF. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METHOD_SPECS, formatTime, readableMetrics, readableParams } from '../../electron/api/contract';

test('times are shown in UTC to the second, and say so; a value that is not a time is shown as it is', () => {
  assert.equal(formatTime('2025-03-09T23:59:58.123Z'), '2025-03-09 23:59:58 UTC');
  // An offset time is converted, not cut: 01:30 at +02:00 is 23:30 UTC the day before.
  assert.equal(formatTime('2025-03-10T01:30:00+02:00'), '2025-03-09 23:30:00 UTC');
  assert.equal(formatTime('yesterday'), 'yesterday');
});

test('method settings are named by METHOD_SPECS, with the side where a method has two groups', () => {
  const rise = readableParams({ method: 'rise', params: { layer: 6, steps: 10, target: 'both', 'rise.masks': 500, 'riseText.masks': 200, 'rise.p': 0.1 } });
  const byKey = new Map(rise.map((l) => [l.key, l]));
  assert.equal(byKey.get('rise.masks')?.label, `Image: ${METHOD_SPECS.rise.params.image!.params.masks!.summary}`);
  assert.equal(byKey.get('riseText.masks')?.label, `Text: ${METHOD_SPECS.rise.params.text!.params.masks!.summary}`);
  assert.equal(byKey.get('rise.p')?.value, '0.1');
  assert.equal(byKey.get('layer')?.note, 'not used by RISE', 'RISE does not read the layer');
  assert.equal(byKey.get('steps')?.note, 'not used by RISE');
  const nib = readableParams({ method: 'nib', params: { layer: 6, steps: 10, target: 'image' } });
  assert.deepEqual(nib.map((l) => [l.label, l.value, l.note]), [
    ['Explained', 'the image only', null],
    ['Layer L explained', '6', null],
    ['Integration steps', '10', null],
    ['Arithmetic precision', 'fp32 (full precision)', null],
  ]);
  const int8 = readableParams({ method: 'nib', params: { layer: 6, steps: 10, target: 'image', precision: 'int8', 'int8.weightBits': 7 } });
  assert.match(int8.find((l) => l.key === 'precision')?.value ?? '', /^int8 weight products, 7-bit weights \(reduced precision/, 'an int8 record says so, with its weights');
  assert.equal(int8.filter((l) => /precision|weightBits/.test(l.key)).length, 1, 'not listed twice (once named, once by its key)');
  assert.equal(rise.find((l) => l.key === 'precision'), undefined, 'a method with no choice of precision does not name one');
  const m2ib = readableParams({ method: 'm2ib', params: { layer: 6, steps: 10, target: 'both', 'm2ib.lr': 1 } });
  assert.equal(m2ib.find((l) => l.key === 'm2ib.lr')?.label, 'Adam learning rate', 'one group for both sides: no side named');
  const unknown = readableParams({ method: 'nib', params: { layer: 1, steps: 1, target: 'both', mystery: 'x' } });
  assert.equal(unknown.at(-1)?.label, 'mystery', 'a key the tables do not know is shown by its key, not dropped');
});

test('metrics come in a fixed order with their scale and direction; unknown ones keep their key', () => {
  const lines = readableMetrics({ tincr: 100, zeta: 0.5, deletionAuc: 0.21349, vdrop: 77.93 });
  assert.deepEqual(lines.map((l) => [l.label, l.value]), [
    ['Confidence drop when only the highlighted region is kept', '77.9'],
    ['Similarity while the most highlighted pixels are removed (deletion AUC)', '0.213'],
    ['Confidence increase when only the highlighted words are kept', '100'],
    ['zeta', '0.5'],
  ]);
  assert.match(lines[0]!.note!, /lower = the map explains more/);
  assert.match(lines[1]!.note!, /−1 to 1; lower = the map explains more/);
  assert.match(lines[2]!.note!, /higher = the word scores explain more/);
  assert.equal(readableMetrics({ vdrop: NaN })[0]!.value, '—');
});
