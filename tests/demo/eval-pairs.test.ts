import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { evalDemo } from '../../native-models/demo/eval';
import { writeEvalPairs } from '../../native-models/demo/eval-pairs';
import { evalCommand, type MethodRow } from '../../electron/cli/commands/eval';
import { testTempDir } from '../temp-dir';

test('candor eval with the generator masks measures what the demo eval measures (NIB, same phantoms)', async () => {
  const dir = testTempDir('candor-eval-pairs-');
  try {
    const pairs = writeEvalPairs(join(dir, 'pairs'), { perType: 2, size: 192 });
    assert.equal(pairs.length, 12);
    const err: string[] = [];
    const code = await evalCommand(['--model', 'native-models/demo/bundle', '--pairs', join(dir, 'pairs'), '--methods', 'nib', '--steps', '10', '--quiet', '--json', join(dir, 'e.json')], { stdout: () => {}, stderr: (s) => err.push(s) });
    assert.equal(code, 0, err.join(''));
    const row = (JSON.parse(readFileSync(join(dir, 'e.json'), 'utf8')) as { rows: MethodRow[] }).rows[0];
    assert.ok(row.localisation);
    assert.equal(row.localisation.pairs, 12);
    const demo = await evalDemo({ count: 12, perType: 2, methods: ['nib'], renderSize: 192, steps: 10 });
    assert.equal(demo.attribution.length, 6);
    const mean = (k: 'pointing' | 'pointingTolerant' | 'energyInside') => demo.attribution.reduce((s, r) => s + r[k], 0) / demo.attribution.length;
    assert.ok(Math.abs(row.localisation.pointingGameTolerant - mean('pointingTolerant')) < 1e-9, `tolerant pointing game: candor eval ${row.localisation.pointingGameTolerant}, demo eval ${mean('pointingTolerant')}`);
    assert.ok(Math.abs(row.localisation.pointingGame - mean('pointing')) < 1e-9, `pointing game: candor eval ${row.localisation.pointingGame}, demo eval ${mean('pointing')}`);
    assert.ok(Math.abs(row.localisation.relevanceMass - mean('energyInside')) < 1e-6, `relevance mass: candor eval ${row.localisation.relevanceMass}, demo eval ${mean('energyInside')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
