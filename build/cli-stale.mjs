// Whether the built CLI is older than its sources: kept apart from cli-bundle.mjs so that
// bin/candor.mjs does not load esbuild on every start.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Whether the CLI under `base` must be built: no bundle, no record of its sources, or a source
 * newer than the build. A source that is absent (a packaged app ships none) does not count.
 */
export function cliIsStale(base) {
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(join(base, 'dist', 'cli', 'inputs.json'), 'utf8'));
    if (!existsSync(join(base, 'dist', 'cli', 'cli.mjs')) || typeof builtAt !== 'number' || !Array.isArray(inputs)) return true;
    return inputs.some((f) => {
      try {
        return statSync(join(base, f)).mtimeMs > builtAt;
      } catch {
        return false;
      }
    });
  } catch {
    return true;
  }
}

