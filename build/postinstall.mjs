#!/usr/bin/env node
// package.json's allowScripts keeps npm from running Electron's own download script, so an
// offline `npm install` cannot fail on it. Here it runs anyway where a download can work: a
// user with internet gets the Electron binary as usual; an offline machine gets one line and
// `npm start` serves the workspace in the browser instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// The CLI runs as built JavaScript (bin/candor.mjs builds it on first run too, where this could not).
try {
  const { buildCli } = await import('./cli-bundle.mjs');
  await buildCli();
} catch (err) {
  console.log(`candor: the CLI was not built now (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); \`candor\` builds it on first run.`);
}

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) process.exit(0);
const require = createRequire(import.meta.url);
let electronDir;
try {
  electronDir = dirname(require.resolve('electron/package.json'));
} catch {
  process.exit(0);
}
if (existsSync(join(electronDir, 'path.txt'))) process.exit(0);
const res = spawnSync(process.execPath, [join(electronDir, 'install.js')], { cwd: electronDir, stdio: 'pipe', timeout: 10 * 60 * 1000 });
if (res.status === 0) {
  console.log('candor: Electron binary installed.');
} else {
  const reason = (res.stderr?.toString() || res.error?.message || '').split('\n').find((l) => l.trim()) ?? 'unknown error';
  console.log(`candor: the Electron binary could not be downloaded (${reason.trim().slice(0, 160)}); \`npm start\` will serve the workspace in a browser instead.`);
}
