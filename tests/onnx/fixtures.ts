// Where the shared read-only fixtures are: $CANDOR_SHARED, <repo>/shared, <repo>/../shared or /work/shared.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function sharedDir(): string {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const candidates = [process.env.CANDOR_SHARED, join(root, 'shared'), resolve(root, '..', 'shared'), '/work/shared'];
  for (const c of candidates) if (c && existsSync(join(c, 'fixtures', 'models', 'mini-clip'))) return c;
  throw new Error(`shared fixtures not found (looked in ${candidates.filter(Boolean).join(', ')}); set CANDOR_SHARED`);
}

export const SHARED = sharedDir();
export const MINI_CLIP = join(SHARED, 'fixtures', 'models', 'mini-clip');
export const MINI_CLIP_ONNX = join(MINI_CLIP, 'onnx');
export const REFERENCE = join(SHARED, 'fixtures', 'reference');
