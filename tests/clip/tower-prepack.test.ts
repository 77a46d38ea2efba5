// Whether the towers' sessions pre-pack their weights (loadClipBundle `towerPrepack`), and the CLI's
// choice of it per run (explain.ts sessionPacking): the option reaches onnxruntime, and the numbers
// agree with and without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { loadClipBundle } from '../../native-models/clip/bundle';
import { sessionPacking } from '../../electron/cli/commands/explain';
import { MINI } from './helpers';
import { probeForFile } from '../electron/session-probe';

const probe = probeForFile();

/** The options of every session created while `body` runs. */
async function creations<T>(body: () => Promise<T>): Promise<{ result: T; options: ort.InferenceSession.SessionOptions[] }> {
  const before = probe.createdWith().length;
  const result = await body();
  return { result, options: probe.createdWith().slice(before) };
}

const disabled = (o: ort.InferenceSession.SessionOptions): boolean => (o.extra as { session?: { disable_prepacking?: string } } | undefined)?.session?.disable_prepacking === '1';

test('towerPrepack: false builds both tower sessions without pre-packing; the default packs; the embeddings agree', async () => {
  const plain = await creations(() => loadClipBundle(MINI, { prefer: 'cpu', towerPrepack: false }));
  const packed = await creations(() => loadClipBundle(MINI, { prefer: 'cpu' }));
  try {
    assert.equal(plain.options.length, 2, 'one session per tower');
    assert.deepEqual(plain.options.map(disabled), [true, true]);
    assert.deepEqual(packed.options.map(disabled), [false, false]);
    const px = new Float32Array(3 * plain.result.imageSize ** 2).map((_, i) => Math.sin(i / 9));
    const a = await plain.result.embedImages(px, 1);
    const b = await packed.result.embedImages(px, 1);
    const d = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    assert.ok(d < 1e-5, `image embeddings differ by ${d}`);
    const ta = await plain.result.embedTexts(['a small left effusion']);
    const tb = await packed.result.embedTexts(['a small left effusion']);
    assert.ok(ta.reduce((m, v, i) => Math.max(m, Math.abs(v - tb[i])), 0) < 1e-5);
  } finally {
    await plain.result.dispose();
    await packed.result.dispose();
  }
});

test('the CLI packs for a recorded finding and for many runs, and leaves one explanation unpacked', () => {
  const base = { recorded: false, allSentences: false, sanity: false };
  assert.deepEqual(sessionPacking(base), { gradientPrepack: false, towerPrepack: false }, 'one explanation, with or without the metrics');
  for (const k of ['recorded', 'allSentences', 'sanity'] as const) {
    assert.deepEqual(sessionPacking({ ...base, [k]: true }), { gradientPrepack: true, towerPrepack: true }, k);
  }
});
