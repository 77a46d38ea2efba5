// What a tower's session is built from (clip/tower.ts `loadable`): its graph and, beside it, its
// weights as external data that onnxruntime maps, in a private scratch folder that is gone once the
// sessions exist. The towers compute exactly what the files as exported compute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadClipBundle } from '../../native-models/clip/bundle';
import { textFeeds } from '../../native-models/clip/tower';
import { memoryBackedCandidates } from '../../native-models/runtime/scratch-dir';
import { MINI } from './helpers';

const roots = [...new Set([tmpdir(), ...memoryBackedCandidates().map((c) => c.dir)])];

function scratchFolders(): Set<string> {
  const found = new Set<string>();
  for (const r of roots) for (const n of readdirSync(r)) if (n.startsWith('candor-tower-')) found.add(join(r, n));
  return found;
}

/** This process's open descriptors of tower weights written to a scratch folder. */
function openWeights(): string[] {
  const fds = '/proc/self/fd';
  return readdirSync(fds)
    .map((n) => {
      try {
        return readlinkSync(join(fds, n));
      } catch {
        return '';
      }
    })
    .filter((l) => /candor-tower-[^/]+\/weights\.bin/.test(l));
}

/** This process's mappings of tower weights written to a scratch folder. */
function mappedWeights(): string[] {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => /candor-tower-[^/]+\/weights\.bin/.test(l));
}

async function direct(file: string, feeds: Record<string, ort.Tensor>, output: string): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], extra: { session: { disable_prepacking: '1' } } });
  try {
    return (await s.run(feeds, [output]))[output].data as Float32Array;
  } finally {
    await s.release();
  }
}

test('the towers compute bit for bit what the exported files compute, and leave no scratch folder behind', async () => {
  const before = scratchFolders();
  const bundle = await loadClipBundle(MINI, { prefer: 'cpu', towerPrepack: false });
  try {
    assert.deepEqual([...scratchFolders()].filter((d) => !before.has(d)), [], 'the scratch folders are removed once the sessions exist');
    const px = new Float32Array(3 * bundle.imageSize ** 2).map((_, i) => Math.sin(i / 7));
    const image = await bundle.embedImages(px, 1);
    const pixelValues = new ort.Tensor('float32', px, [1, 3, bundle.imageSize, bundle.imageSize]);
    assert.deepEqual(Array.from(image), Array.from(await direct(bundle.vision.file, { pixel_values: pixelValues }, bundle.vision.outputName)));
    const ids = bundle.tokenize('a small left effusion').ids;
    const text = await bundle.embedTexts(['a small left effusion']);
    const feeds = textFeeds(['input_ids', ...bundle.text.extraInputs], bundle.text, ids, 1);
    assert.deepEqual(Array.from(text), Array.from(await direct(bundle.text.file, feeds, bundle.text.outputName)));
  } finally {
    await bundle.dispose();
  }
});

test('the weights are mapped from the scratch file while the towers live, kept open for derivations, and let go when the bundle is disposed (Linux)', { skip: process.platform !== 'linux' }, async () => {
  const before = mappedWeights().length;
  const openBefore = openWeights().length;
  const bundle = await loadClipBundle(MINI, { prefer: 'cpu', towerPrepack: false });
  let during: string[];
  try {
    during = mappedWeights();
    assert.ok(during.length > before, 'onnxruntime maps the weights instead of copying them');
    assert.ok(during.every((l) => l.endsWith('(deleted)')), 'the file is already deleted: the mapping keeps its pages');
    const open = openWeights();
    assert.equal(open.length, openBefore + 2, 'each tower keeps its weights file open, to derive graphs from');
    assert.ok(open.every((l) => l.endsWith('(deleted)')));
  } finally {
    await bundle.dispose();
  }
  assert.equal(mappedWeights().length, before, 'nothing stays mapped');
  assert.equal(openWeights().length, openBefore, 'nor open');
});
