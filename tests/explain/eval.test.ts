import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evalCommand } from '../../electron/cli/commands/eval';
import { MINI, REF, readCase } from '../clip/helpers';
import { testTempDir } from '../temp-dir';

test('candor eval: one table of every method with metrics and speed (markdown and JSON)', async () => {
  const dir = testTempDir('candor-eval-');
  try {
    const pairs = join(dir, 'pairs');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(pairs);
    for (const name of ['case03', 'case06']) {
      const c = readCase(name);
      copyFileSync(join(REF, c.image), join(pairs, `${name}.png`));
      writeFileSync(join(pairs, `${name}.txt`), c.text);
    }
    const out: string[] = [];
    const err: string[] = [];
    const code = await evalCommand(
      ['--model', MINI, '--pairs', pairs, '--methods', 'nib,gradcam,m2ib', '--layer', '1', '--steps', '4', '--md', join(dir, 't.md'), '--json', join(dir, 't.json'), '--prefer', 'cpu', '--quiet'],
      { stdout: (s) => out.push(s), stderr: (s) => err.push(s) },
    );
    assert.equal(code, 0, err.join(''));
    const md = out.join('');
    assert.equal(readFileSync(join(dir, 't.md'), 'utf8'), md);
    const lines = md.trim().split('\n');
    assert.equal(lines.length, 5);
    assert.match(lines[0], /\| method \| img drop ↓ \| img incr ↑ \| txt drop ↓ \| txt incr ↑ \| deletion AUC ↓ \| insertion AUC ↑ \| image ms \| text ms \| pairs \|/);
    assert.match(lines[2], /^\| nib \| [\d.]+ \|/);
    const json = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as { rows: { method: string; pairs: number; metrics: Record<string, number>; imageMs: number }[] };
    assert.deepEqual(json.rows.map((r) => r.method), ['nib', 'gradcam', 'm2ib']);
    for (const r of json.rows) {
      assert.equal(r.pairs, 2);
      assert.ok(r.imageMs > 0);
      for (const k of ['vdrop', 'vincr', 'tdrop', 'tincr', 'deletionAuc', 'insertionAuc']) assert.ok(Number.isFinite(r.metrics[k]), `${r.method} ${k}`);
    }
    const bad: string[] = [];
    assert.equal(await evalCommand(['--model', MINI, '--pairs', join(dir, 'nothing')], { stdout: () => {}, stderr: (s) => bad.push(s) }), 2);
    assert.match(bad.join(''), /folder not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('candor eval with masks: localisation per method from NAME.mask.png and from "mask" in pairs.json', async () => {
  const { decode, encode } = await import('fast-png');
  const { mkdirSync } = await import('node:fs');
  const dir = testTempDir('candor-eval-mask-');
  try {
    const c = readCase('case03');
    const png = readFileSync(join(REF, c.image));
    const { width, height } = decode(png);
    const half = (left: boolean) => {
      const data = new Uint8Array(width * height);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = (x < width / 2) === left ? 255 : 0;
      return encode({ width, height, data, channels: 1, depth: 8 });
    };
    // Folder layout: the mask beside the image.
    const a = join(dir, 'a');
    mkdirSync(a);
    copyFileSync(join(REF, c.image), join(a, 'x.png'));
    writeFileSync(join(a, 'x.txt'), c.text);
    writeFileSync(join(a, 'x.mask.png'), half(true));
    // pairs.json layout: the other half.
    const b = join(dir, 'b');
    mkdirSync(b);
    copyFileSync(join(REF, c.image), join(b, 'x.png'));
    writeFileSync(join(b, 'right.png'), half(false));
    writeFileSync(join(b, 'pairs.json'), JSON.stringify([{ image: 'x.png', text: c.text, mask: 'right.png' }]));
    type Row = { method: string; localisation: { pointingGame: number; pointingGameTolerant: number; relevanceMass: number; relevanceRankAccuracy: number; iouTop: number; topPercent: number; pairs: number } };
    const run = async (pairs: string): Promise<{ md: string; rows: Row[] }> => {
      const out: string[] = [], err: string[] = [];
      const code = await evalCommand(['--model', MINI, '--pairs', pairs, '--methods', 'nib,gradcam', '--layer', '1', '--steps', '4', '--json', join(pairs, 'e.json'), '--prefer', 'cpu', '--quiet'], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
      assert.equal(code, 0, err.join(''));
      return { md: out.join(''), rows: (JSON.parse(readFileSync(join(pairs, 'e.json'), 'utf8')) as { rows: Row[] }).rows };
    };
    const left = await run(a);
    const right = await run(b);
    assert.match(left.md, /\| pointing game ↑ \| within ½ patch ↑ \| relevance mass ↑ \| rank accuracy ↑ \| IoU top 5 % ↑ \|/);
    assert.match(left.md, /\| 1, 1 with a mask \|/);
    for (let i = 0; i < 2; i++) {
      const l = left.rows[i].localisation, r = right.rows[i].localisation;
      assert.equal(l.pairs, 1);
      assert.equal(r.pairs, 1);
      // The two halves share the map: its mass, its maximum and its top pixels split between them.
      assert.ok(Math.abs(l.relevanceMass + r.relevanceMass - 1) < 1e-6, `${left.rows[i].method}: ${l.relevanceMass} + ${r.relevanceMass}`);
      assert.equal(l.pointingGame + r.pointingGame, 1);
      assert.ok(l.relevanceMass > 0 && r.relevanceMass > 0);
      assert.equal(l.topPercent, 5);
      for (const v of [l.relevanceRankAccuracy, l.iouTop, r.relevanceRankAccuracy, r.iouTop]) assert.ok(v >= 0 && v <= 1);
    }
    // The left half, measured here on the same NIB map: the mask was read the right way round.
    const { loadClipBundle } = await import('../../native-models/clip/bundle');
    const { explain } = await import('../../native-models/explain/index');
    const { localisationMetrics } = await import('../../native-models/explain/localisation');
    const { scanImageFromFile } = await import('../../electron/cli/commands/explain');
    const bundle = await loadClipBundle(MINI, { prefer: 'cpu' });
    try {
      const { image } = await scanImageFromFile(join(a, 'x.png'), 1, null);
      const e = await explain(bundle, image, c.text, { method: 'nib', layer: 1, steps: 4, target: 'both', metrics: false });
      assert.ok(e.image);
      const data = new Uint8Array(width * height);
      for (let y = 0; y < height; y++) for (let x = 0; x < width / 2; x++) data[y * width + x] = 1;
      const own = localisationMetrics(e.image.map, { width, height, data }, { tolerancePx: 0 });
      assert.ok(Math.abs(own.relevanceMass - left.rows[0].localisation.relevanceMass) < 1e-9, `${own.relevanceMass} vs ${left.rows[0].localisation.relevanceMass}`);
      assert.equal(own.relevanceRankAccuracy, left.rows[0].localisation.relevanceRankAccuracy);
    } finally {
      await bundle.dispose();
    }
    // A mask of another size is refused, naming the file.
    writeFileSync(join(a, 'x.mask.png'), encode({ width: 3, height: 3, data: new Uint8Array(9).fill(255), channels: 1, depth: 8 }));
    const bad: string[] = [];
    assert.equal(await evalCommand(['--model', MINI, '--pairs', a, '--methods', 'nib', '--quiet'], { stdout: () => {}, stderr: (s) => bad.push(s) }), 2);
    assert.match(bad.join(''), new RegExp(`x\\.mask\\.png: the mask is 3×3, its image ${width}×${height}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('candor eval --precision int8: NIB runs at int8 (its row says so, its figures differ from fp32), the others at fp32; refused where no method has it', async () => {
  const dir = testTempDir('candor-eval-int8-');
  const pairs = join(dir, 'pairs');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(pairs);
  const c = readCase('case03');
  copyFileSync(join(REF, c.image), join(pairs, 'case03.png'));
  writeFileSync(join(pairs, 'case03.txt'), c.text);
  const run = async (extra: string[]): Promise<{ md: string; json: { params: { precision: string }; rows: { method: string; precision: string; metrics: Record<string, number> }[] } }> => {
    const out: string[] = [];
    const err: string[] = [];
    const json = join(dir, `${extra.join('-') || 'fp32'}.json`);
    const code = await evalCommand(['--model', MINI, '--pairs', pairs, '--methods', 'nib,gradcam', '--layer', '1', '--steps', '4', '--json', json, '--prefer', 'cpu', '--quiet', ...extra], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
    assert.equal(code, 0, err.join(''));
    return { md: out.join(''), json: JSON.parse(readFileSync(json, 'utf8')) };
  };
  const fp32 = await run([]);
  const int8 = await run(['--precision', 'int8']);
  assert.equal(int8.json.params.precision, 'int8');
  assert.deepEqual(int8.json.rows.map((r) => [r.method, r.precision]), [['nib', 'int8'], ['gradcam', 'fp32']]);
  assert.deepEqual(fp32.json.rows.map((r) => r.precision), ['fp32', 'fp32']);
  assert.match(int8.md, /^\| nib \(int8\) \|/m);
  assert.match(int8.md, /^\| gradcam \|/m);
  assert.notDeepEqual(int8.json.rows[0].metrics, fp32.json.rows[0].metrics, 'NIB really ran at int8');
  assert.deepEqual(int8.json.rows[1].metrics, fp32.json.rows[1].metrics, 'Grad-CAM ran as before');

  const bad: string[] = [];
  assert.equal(await evalCommand(['--model', MINI, '--pairs', pairs, '--methods', 'gradcam,m2ib', '--precision', 'int8', '--quiet'], { stdout: () => {}, stderr: (s) => bad.push(s) }), 2);
  assert.match(bad.join(''), /--precision int8: none of Grad-CAM, M2IB runs in int8/);
  assert.equal(await evalCommand(['--model', MINI, '--pairs', pairs, '--precision', 'bf16', '--quiet'], { stdout: () => {}, stderr: (s) => bad.push(s) }), 2);
  assert.match(bad.join(''), /--precision must be fp32 or int8 \(got "bf16"\)/);
});
