// The `candor` command runs the built bundle (dist/cli), and a stale or missing bundle is detected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cliIsStale } from '../../build/cli-stale.mjs';
import { testTempDir } from '../temp-dir';

const ROOT = resolve(import.meta.dirname, '..', '..');

function fakeCheckout(builtAt: number, inputs: string[]): string {
  const dir = testTempDir('candor-cli-stale-');
  mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'dist', 'cli', 'cli.mjs'), '');
  writeFileSync(join(dir, 'dist', 'cli', 'inputs.json'), JSON.stringify({ builtAt, inputs }));
  return dir;
}

test('a bundle newer than every source is current; an edited source makes it stale', () => {
  const built = Date.now();
  const dir = fakeCheckout(built, ['src/a.ts', 'src/gone.ts']);
  writeFileSync(join(dir, 'src', 'a.ts'), '');
  utimesSync(join(dir, 'src', 'a.ts'), new Date(built - 60_000), new Date(built - 60_000));
  // src/gone.ts does not exist (a packaged app ships no sources): it does not count.
  assert.equal(cliIsStale(dir), false);
  utimesSync(join(dir, 'src', 'a.ts'), new Date(built + 60_000), new Date(built + 60_000));
  assert.equal(cliIsStale(dir), true);
});

test('no bundle, or no readable record of its sources, is stale', () => {
  const dir = testTempDir('candor-cli-none-');
  assert.equal(cliIsStale(dir), true);
  const half = fakeCheckout(Date.now(), []);
  writeFileSync(join(half, 'dist', 'cli', 'inputs.json'), '{"builtAt": ');
  assert.equal(cliIsStale(half), true);
});

test('bin/candor.mjs runs the built JavaScript, not tsx', () => {
  const res = spawnSync(process.execPath, [join(ROOT, 'bin', 'candor.mjs'), 'model', 'inspect', join(ROOT, 'native-models', 'demo', 'bundle'), '--json'], {
    encoding: 'utf8',
    // No tsx loader inherited from the test runner: the bin must stand on its own.
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  assert.equal(res.status, 0, res.stderr);
  const out = JSON.parse(res.stdout) as { vision?: { layers?: number } };
  assert.equal(typeof out.vision?.layers, 'number');
  assert.equal(cliIsStale(ROOT), false, 'the bin leaves a current bundle behind');
  assert.doesNotMatch(res.stderr, /tsx/);
});
