// Bundles of the two families with other sizes than the fixtures, made here by PyTorch (Debian's
// python3-torch): a tiny open_clip-like model exported by the repository's script for open_clip models
// (native-models/clip/export_open_clip.py, the same export path as for BiomedCLIP; 5×5 grid, 3 vision
// layers, a 2-layer post-LN BERT) and a SigLIP-like one (tests/clip/siglip_like.py; no CLS, MAP head,
// text padded to 12). Candor finds their cut points, non-patch tokens and pooling by structure, and its
// NIB (explain(), the app's path) equals PyTorch autograd in float64 on the same weights, pixels and ids.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { preprocess, type ScanImage } from '../../native-models/clip/preprocess';
import { explain } from '../../native-models/explain/index';
import { inspectBundle } from '../../native-models/clip/inspect';
import { maxAbsDiff } from './helpers';

const PYTHON = '/usr/bin/python3';
const ROOT = join(import.meta.dirname, '..', '..');
const EXPORT_OPEN_CLIP = join(ROOT, 'native-models', 'clip', 'export_open_clip.py');
const SIGLIP_LIKE = join(ROOT, 'tests', 'clip', 'siglip_like.py');
const TEXT = 'Small left pleural effusions; no pneumothorax, heart size is normal.';

const work = mkdtempSync(join(tmpdir(), 'candor-generated-'));
const openClipDir = join(work, 'open-clip-tiny');
const siglipDir = join(work, 'siglip-like');

function python(args: string[]): string {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

before(() => {
  python([EXPORT_OPEN_CLIP, 'tiny', openClipDir, '--seed', '11', '--image', '40', '--patch', '8', '--width', '32', '--layers', '3', '--heads', '2', '--text-width', '24', '--text-layers', '2', '--text-heads', '3', '--embed', '16', '--context', '20']);
  python([SIGLIP_LIKE, 'export', siglipDir, '--seed', '9']);
});
after(() => rmSync(work, { recursive: true, force: true }));

function phantom(size: number): ScanImage {
  const px = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - size * 0.4, y - size * 0.55) / size;
      for (let c = 0; c < 3; c++) px[(y * size + x) * 3 + c] = Math.round(255 * Math.max(0, Math.min(1, 0.8 - r + 0.1 * Math.sin((x + c * 7) / 3) * Math.cos(y / 4))));
    }
  }
  return { width: size, height: size, channels: 3, pixels: px, window: null, invert: false };
}

interface TorchNib {
  similarity: number;
  vision: { scores: number[]; abs_sums: number[]; losses: number[] };
  text: { scores: number[]; abs_sums: number[]; losses: number[] };
}

/** The reference rule of fixtures/reference: R·D with R = 1e-4, D = max(max|b|, 0.01·max abs sums). */
function tolerance(ref: number[], absSums: number[]): number {
  return 1e-4 * Math.max(Math.max(...ref.map(Math.abs)), 0.01 * Math.max(...absSums));
}

async function compareWithTorch(bundle: ClipBundle, script: string[], layer: number, steps: number): Promise<void> {
  const image = phantom(bundle.imageSize);
  const e = await explain(bundle, image, TEXT, { method: 'nib', layer, steps, target: 'both', metrics: false });
  const { pixelValues } = preprocess(bundle, image);
  const px = join(work, `px-${layer}.bin`);
  writeFileSync(px, Buffer.from(pixelValues.buffer, pixelValues.byteOffset, pixelValues.byteLength));
  const ids = bundle.tokenize(TEXT).ids;
  const ref = JSON.parse(python([...script, '--pixels', px, '--ids', ids.join(','), '--layer', String(layer), '--steps', String(steps)])) as TorchNib;
  assert.ok(Math.abs(e.similarity - ref.similarity) <= 1e-5, `similarity ${e.similarity} vs ${ref.similarity}`);
  const patches = ref.vision.scores.slice(bundle.visionPrefix);
  const dp = maxAbsDiff(e.image!.tokenScores, patches);
  assert.ok(dp <= tolerance(patches, ref.vision.abs_sums), `layer ${layer}: patch scores differ by ${dp} (tolerance ${tolerance(patches, ref.vision.abs_sums)})`);
  const dt = maxAbsDiff(e.text!.tokens.map((t) => t.raw), ref.text.scores);
  assert.ok(dt <= tolerance(ref.text.scores, ref.text.abs_sums), `layer ${layer}: token scores differ by ${dt}`);
}

test('open_clip export script (tiny open_clip-like model): nib.json names the tensors Candor finds by structure', async () => {
  const plain = join(work, 'open-clip-no-nib');
  cpSync(openClipDir, plain, { recursive: true });
  rmSync(join(plain, 'nib.json'));
  const a = await loadClipBundle(openClipDir, { prefer: 'cpu' });
  const b = await loadClipBundle(plain, { prefer: 'cpu' });
  try {
    assert.deepEqual(a.vision.layerInputs, b.vision.layerInputs);
    assert.deepEqual(a.text.layerInputs, b.text.layerInputs);
    assert.deepEqual(a.vision.cuts, { source: 'nib.json', layout: 'pre-ln', matchesStructure: true });
    assert.deepEqual(a.text.cuts, { source: 'nib.json', layout: 'post-ln', matchesStructure: true });
    assert.deepEqual(b.text.cuts, { source: 'structure', layout: 'post-ln' });
    assert.deepEqual([b.grid, b.visionPrefix, b.visionLayers, b.textLayers], [[5, 5], 1, 3, 2]);
    const r = await inspectBundle(plain);
    assert.equal(r.family?.id, 'biomedclip');
  } finally {
    await a.dispose();
    await b.dispose();
  }
});

test('open_clip export script (tiny model): NIB at layers 0 and 1 (the last text layer) equals PyTorch float64 autograd', async () => {
  const bundle = await loadClipBundle(openClipDir, { prefer: 'cpu' });
  try {
    for (const layer of [0, 1]) await compareWithTorch(bundle, [EXPORT_OPEN_CLIP, 'nib', openClipDir], layer, 5);
  } finally {
    await bundle.dispose();
  }
});

test('SigLIP-like bundle of other sizes (5×5 patches, no CLS, MAP head, padded to 12): structure found, NIB equals PyTorch', async () => {
  const bundle = await loadClipBundle(siglipDir, { prefer: 'cpu' });
  try {
    assert.deepEqual([bundle.grid, bundle.visionPrefix, bundle.vision.pooling, bundle.text.pooling], [[5, 5], 0, { kind: 'attention' }, { kind: 'token', index: -1 }]);
    assert.equal(bundle.tokenize(TEXT).ids.length, 12);
    for (const layer of [0, 1]) await compareWithTorch(bundle, [SIGLIP_LIKE, 'nib', siglipDir], layer, 4);
  } finally {
    await bundle.dispose();
  }
});
