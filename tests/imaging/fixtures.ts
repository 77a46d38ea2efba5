/** Where the read-only shared fixtures live: `../shared` from the repository root, wherever the checkout is. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sharedDir(): string {
  const candidates = [process.env.CANDOR_SHARED, join(root, 'shared'), resolve(root, '..', 'shared'), '/work/shared'];
  for (const c of candidates) if (c && existsSync(join(c, 'fixtures', 'dicom', 'manifest.json'))) return c;
  throw new Error(`shared fixtures not found (looked in ${candidates.filter(Boolean).join(', ')}); set CANDOR_SHARED`);
}

export const SHARED = sharedDir();
export const DICOM_FIXTURES = join(SHARED, 'fixtures', 'dicom');
