/**
 * Where the shared read-only fixtures (made by real tools) are, found from this file, never from
 * the working directory: $CANDOR_SHARED, else `shared` in, beside or two levels above the
 * repository (a worktree sits one level deeper than the main checkout), else the team machines'
 * /work/shared (a clone made elsewhere on them, e.g. a CI check in /tmp).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function sharedDir(): string {
  const candidates = [process.env.CANDOR_SHARED, join(root, 'shared'), resolve(root, '..', 'shared'), resolve(root, '..', '..', 'shared'), '/work/shared'];
  for (const c of candidates) if (c && existsSync(join(c, 'fixtures'))) return c;
  throw new Error(`the shared fixtures are not found (looked in ${candidates.filter(Boolean).join(', ')}); set CANDOR_SHARED to the folder holding fixtures/`);
}

export const SHARED = sharedDir();
export const FIXTURES = join(SHARED, 'fixtures');
