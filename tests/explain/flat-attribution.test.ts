// An attribution that does not tell its parts apart (all zero, or the same everywhere) is reported
// as such and never min-max normalized into a full map or a fully shaded report.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { explain } from '../../native-models/explain/index';
import { normalize } from '../../native-models/explain/maps';
import { scanImageFromFile } from '../../electron/cli/commands/explain';
import { MINI, REF, readCase, readPng } from '../clip/helpers';

const DEMO = join(import.meta.dirname, '../../native-models/demo');

let mini: ClipBundle;
let demo: ClipBundle;
before(async () => {
  mini = await loadClipBundle(MINI, { prefer: 'cpu' });
  demo = await loadClipBundle(join(DEMO, 'bundle'), { prefer: 'cpu' });
});
after(async () => {
  await mini?.dispose();
  await demo?.dispose();
});

test('normalize() says why there is nothing to show: not finite, all zero, constant', () => {
  assert.deepEqual(normalize([0, 0, 0]), { values: null, problem: 'all-zero' });
  assert.deepEqual(normalize([0.25, 0.25]), { values: null, problem: 'constant' });
  assert.deepEqual(normalize([1, NaN, 2]), { values: null, problem: 'not-finite' });
  assert.deepEqual(normalize([1, Infinity]), { values: null, problem: 'not-finite' });
  assert.deepEqual(Array.from(normalize([0, 2, 1]).values!), [0, 1, 0.5]);
});

test("Grad-CAM on the demo model's first study: zero on every word, so no word is shaded (was: every word 1.000)", async () => {
  const { image } = await scanImageFromFile(join(DEMO, 'studies/demo-01.dcm'), 1, null);
  const text = readFileSync(join(DEMO, 'studies/demo-01.report.txt'), 'utf8');
  const e = await explain(demo, image, text, { method: 'gradcam', target: 'both', metrics: false });
  const words = e.text!.words;
  assert.ok(words.length >= 15);
  assert.ok(words.every((w) => w.raw === 0), 'every raw word score is 0 (ReLU of negative NIB scores)');
  assert.deepEqual(new Set(words.map((w) => w.normalized)), new Set([0]));
  assert.ok(e.warnings.some((w) => /zero on every word/.test(w)), e.warnings.join(' | '));
  // The tokens still differ (the score sits on the end token), so tokens keep their normalization.
  const tokens = e.text!.tokens;
  assert.equal(tokens[tokens.length - 1].normalized, 1);
  assert.ok(tokens.every((t) => t.raw === 0 || t.special));
  assert.ok(!e.warnings.some((w) => /text attribution/.test(w)));
  assert.equal(e.image!.map.values.length > 0, true, 'the image side is unaffected');
});

test('RISE with p = 1 keeps every pixel and token in every mask: constant attributions, no map, no shading, two warnings', async () => {
  const c = readCase('case03');
  const e = await explain(mini, readPng(join(REF, c.image)), c.text, { method: 'rise', target: 'both', metrics: true, extra: { p: 1, masks: 5, textMasks: 5 } });
  // Each masked input is the input itself: every score is the similarity.
  assert.equal(new Set(e.text!.tokens.map((t) => t.raw)).size, 1);
  assert.ok(Math.abs(e.text!.tokens[0].raw - e.similarity) < 1e-12);
  assert.equal(new Set(e.image!.tokenScores).size, 1);
  assert.deepEqual([e.image!.map.width, e.image!.map.height, e.image!.map.values.length], [0, 0, 0]);
  assert.ok(e.text!.words.length >= 5, 'the report has words to shade');
  assert.ok(e.text!.tokens.every((t) => t.normalized === 0));
  assert.ok(e.text!.words.every((w) => w.normalized === 0));
  assert.ok(e.warnings.includes('the image attribution is constant over the image: no map is drawn'), e.warnings.join(' | '));
  assert.ok(e.warnings.includes('the text attribution is the same for every token'), e.warnings.join(' | '));
  assert.equal(e.metrics.vdrop, undefined, 'no metric is computed on a map that is not drawn');
  assert.equal(e.metrics.tdrop, undefined);
});

test('a one-word report has nothing to compare its word with: not shaded, and said so', async () => {
  const c = readCase('case03');
  const e = await explain(mini, readPng(join(REF, c.image)), 'Consolidation.', { method: 'nib', layer: 1, target: 'text', metrics: false });
  assert.equal(e.text!.words.length, 1);
  assert.notEqual(e.text!.words[0].raw, 0);
  assert.equal(e.text!.words[0].normalized, 0);
  assert.ok(e.warnings.some((w) => /one word/.test(w)), e.warnings.join(' | '));
  assert.ok(e.text!.tokens.some((t) => t.normalized === 1), 'token scores still differ and are shown');
});
