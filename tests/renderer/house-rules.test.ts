/**
 * The renderer's house rules that no compiler checks: small files (under 250 lines each, so a change
 * touches one panel, not one 500-line component) and no test-id lookups in app code (components
 * reach each other through props and refs; test ids are for tests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const src = join(root, 'renderer', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx|css)$/.test(name) ? [p] : [];
  });
}

test('every renderer source file is under 250 lines', () => {
  const all = files(src);
  assert.ok(all.length > 20, `renderer files found: ${all.length}`);
  const long = all.map((f) => [relative(root, f), readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n >= 250);
  assert.deepEqual(long, [], 'files of 250 lines or more');
});

test('app code finds no element by its test id', () => {
  const lookups = files(src)
    .filter((f) => !f.endsWith('.css'))
    .flatMap((f) => readFileSync(f, 'utf8').split('\n').map((line, i) => [`${relative(root, f)}:${i + 1}`, line] as const))
    .filter(([, line]) => /(querySelector(All)?|closest|getElementsBy\w+)\([^)]*(data-testid|testid)/i.test(line));
  assert.deepEqual(lookups, []);
});
