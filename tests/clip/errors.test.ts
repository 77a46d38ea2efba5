// Bad input gives clear errors (bundle, tokenizer, image size, text, layer) or warnings (NaN / zero maps).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, unlinkSync, writeFileSync, chmodSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BundleError, loadClipBundle } from '../../native-models/clip/bundle';
import { explain, ExplainError } from '../../native-models/explain/index';
import { readModel, serializeModel } from '../../native-models/onnx/model';
import { makeTensor, tensorDims } from '../../native-models/onnx/tensors';
import { MINI, REF, readPng } from './helpers';
import { testTempDir } from '../temp-dir';

const root = testTempDir('candor-bundle-errors-');
after(() => rmSync(root, { recursive: true, force: true }));

function copyBundle(name: string): string {
  const d = join(root, name);
  cpSync(MINI, d, { recursive: true });
  const fix = (p: string): void => {
    chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644);
    if (statSync(p).isDirectory()) for (const f of readdirSync(p)) fix(join(p, f));
  };
  fix(d);
  return d;
}

test('a bundle with a missing file names the file', async () => {
  const d = copyBundle('missing');
  unlinkSync(join(d, 'tokenizer.json'));
  await assert.rejects(loadClipBundle(d), (e: Error) => e instanceof BundleError && /missing tokenizer\.json/.test(e.message));
  await assert.rejects(loadClipBundle(join(root, 'no-such-dir')), (e: Error) => e instanceof BundleError && /not found/.test(e.message));
});

test('a truncated ONNX file is a clear error naming it', async () => {
  const d = copyBundle('truncated');
  const f = join(d, 'onnx', 'vision_model.onnx');
  writeFileSync(f, readFileSync(f).subarray(0, 5000));
  await assert.rejects(loadClipBundle(d), (e: Error) => e instanceof BundleError && e.message.includes('vision_model.onnx'));
});

test('a tokenizer that does not match the text model is refused', async () => {
  const d = copyBundle('tokenizer');
  const tj = JSON.parse(readFileSync(join(d, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
  tj.model.vocab.pneumoperitoneum = 4000;
  writeFileSync(join(d, 'tokenizer.json'), JSON.stringify(tj));
  await assert.rejects(loadClipBundle(d), (e: Error) => e instanceof BundleError && /ids up to 4000.*213 rows.*does not belong/.test(e.message));
});

test('a preprocessor size that does not fit a fixed-size export, and wrong-size pixel input, are refused', async () => {
  const d = copyBundle('size');
  const pj = JSON.parse(readFileSync(join(d, 'preprocessor_config.json'), 'utf8')) as Record<string, unknown>;
  pj.crop_size = { height: 96, width: 96 };
  pj.size = { shortest_edge: 96 };
  writeFileSync(join(d, 'preprocessor_config.json'), JSON.stringify(pj));
  await assert.rejects(loadClipBundle(d), (e: Error) => e instanceof BundleError && /64×64|image_size 64/.test(e.message));
  const b = await loadClipBundle(MINI);
  try {
    await assert.rejects(b.embedImages(new Float32Array(3 * 32 * 32), 1), (e: Error) => e instanceof BundleError && /3×64×64/.test(e.message));
  } finally {
    await b.dispose();
  }
});

test('empty report text and a layer out of range are clear errors', async () => {
  const b = await loadClipBundle(MINI);
  try {
    const img = readPng(join(REF, 'case01.png'));
    await assert.rejects(explain(b, img, '  \n ', { method: 'nib', target: 'both' }), (e: Error) => e instanceof ExplainError && /empty/.test(e.message));
    await assert.rejects(explain(b, img, 'nodule', { method: 'nib', target: 'both', layer: 4 }), (e: Error) => e instanceof BundleError && /layer 4 is out of range.*0–3/.test(e.message));
  } finally {
    await b.dispose();
  }
});

async function bundleWithProjection(name: string, value: number): Promise<string> {
  const d = copyBundle(name);
  const f = join(d, 'onnx', 'vision_model.onnx');
  const m = readModel(f);
  const g = m.graph!;
  const proj = (g.node ?? []).find((n) => n.output?.includes('image_embeds'))!;
  const w = proj.input![1];
  const k = (g.initializer ?? []).findIndex((t) => t.name === w);
  const dims = tensorDims(g.initializer![k]);
  g.initializer![k] = makeTensor(w, 1, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(value));
  writeFileSync(f, serializeModel(m));
  return d;
}

test('NaN and all-zero attributions are reported as warnings, not drawn', async () => {
  for (const [name, value, pattern] of [['nan', NaN, /NaN/], ['zero', 0, /NaN|all zero/]] as const) {
    const b = await loadClipBundle(await bundleWithProjection(name, value));
    try {
      const e = await explain(b, readPng(join(REF, 'case01.png')), 'small left lower lobe nodule', { method: 'nib', target: 'image', layer: 2, metrics: false });
      assert.ok(e.warnings.some((w) => pattern.test(w)), `${name}: ${e.warnings.join(' | ')}`);
      assert.equal(e.image?.map.width, 0);
      assert.equal(e.image?.map.values.length, 0);
    } finally {
      await b.dispose();
    }
  }
});
