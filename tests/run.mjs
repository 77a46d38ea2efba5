#!/usr/bin/env node
// Node 20's `--test` does not discover .ts files, so the list is built here and passed explicitly.
// The tests run in the caller's working directory, so a test that finds a fixture relative to it
// (rather than to the repository) fails when this is started from elsewhere.
//   --unit / --e2e          only those
//   --update-snapshots      rewrite the stored e2e snapshots instead of comparing (tests/e2e/snapshots.ts)
//   any other argument      a substring of the test files to run
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const only = args.find((a) => a === '--unit' || a === '--e2e');
const updateSnapshots = args.includes('--update-snapshots');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

let files = walk(join(root, 'tests')).map((p) => relative(root, p)).sort();
if (only === '--unit') files = files.filter((f) => !f.startsWith('tests/e2e/'));
if (only === '--e2e') files = files.filter((f) => f.startsWith('tests/e2e/'));
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('tests/run.mjs: no test files matched');
  process.exit(1);
}
// The installation folder (audit signing key, trust store, anchors, reports) of any test that does not
// name its own: never the user's real ~/.config/candor.
const configDir = process.env.CANDOR_CONFIG_DIR ? null : mkdtempSync(join(tmpdir(), 'candor-test-config-'));
const res = spawnSync(
  process.execPath,
  // --expose-gc: memory tests collect garbage before they read the heap. tsx is named by its path,
  // so it loads from any working directory.
  ['--expose-gc', '--import', import.meta.resolve('tsx'), '--test', '--test-concurrency=1', '--test-reporter=spec', ...files.map((f) => join(root, f))],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      CANDOR_TEST: '1',
      TSX_TSCONFIG_PATH: join(root, 'tsconfig.json'),
      ...(configDir ? { CANDOR_CONFIG_DIR: configDir } : {}),
      ...(updateSnapshots ? { CANDOR_UPDATE_SNAPSHOTS: '1' } : {}),
    },
  },
);
if (configDir) rmSync(configDir, { recursive: true, force: true });
process.exit(res.status ?? 1);
