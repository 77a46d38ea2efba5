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

test('`candor explain` loads no zod before it runs: the contract\'s schemas check the app\'s IPC, not the CLI\'s options', async () => {
  const { build } = await import('esbuild');
  const { NATIVE_EXTERNALS } = await import('../../build/cli-bundle.mjs');
  const out = await build({ absWorkingDir: ROOT, entryPoints: ['electron/cli/commands/explain.ts'], bundle: true, platform: 'node', format: 'esm', external: NATIVE_EXTERNALS, metafile: true, write: false, logLevel: 'silent', outfile: join(ROOT, 'unused.mjs') });
  const inputs = out.metafile.inputs;
  // What the command's module loads when it is imported: its static imports, transitively (an
  // import() for --pdf or --dicom loads later, and only when asked for).
  const seen = new Set<string>();
  const via = new Map<string, string>();
  const stack = ['electron/cli/commands/explain.ts'];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const i of inputs[f]?.imports ?? []) {
      if (i.external || i.kind === 'dynamic-import') continue;
      if (!via.has(i.path)) via.set(i.path, f);
      stack.push(i.path);
    }
  }
  assert.ok(seen.has('native-models/explain/index.ts') && [...seen].some((f) => f.includes('node_modules/onnx-proto/')), 'the walk follows the command\'s imports');
  const zod = [...seen].find((f) => f.includes('node_modules/zod/'));
  const chain = (f: string): string => (via.has(f) ? `${chain(via.get(f)!)} → ${f}` : f);
  assert.equal(zod, undefined, `zod is loaded by ${zod && chain(zod)}`);
});
