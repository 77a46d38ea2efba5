#!/usr/bin/env node
// The package's `candor` command: runs the built CLI (dist/cli, esbuild). In a checkout it is built
// here when missing or older than one of its sources, so an edit is never run stale; where esbuild
// cannot build it, the TypeScript runs through tsx (development only: about a second slower to start).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'dist', 'cli', 'cli.mjs');
process.env.CANDOR_CLI_MAIN = '1';

let built = false;
try {
  const { cliIsStale } = await import('../build/cli-stale.mjs');
  if (cliIsStale(root)) await (await import('../build/cli-bundle.mjs')).buildCli();
  built = true;
} catch (err) {
  // No build script or no esbuild (a packaged app): the bundle shipped with it runs as it is.
  built = existsSync(entry);
  if (!built) process.stderr.write(`candor: could not build the CLI (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); running the TypeScript through tsx\n`);
}
if (built) {
  await import(pathToFileURL(entry).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../electron/cli/main.ts');
}
