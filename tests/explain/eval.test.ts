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
