#!/usr/bin/env node
// `npm start`: the Electron app when its binary is installed; otherwise the same workspace
// through the local test host, so the main job still runs on machines without Electron.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
let electronBinary = null;
try {
  electronBinary = require('electron');
} catch {
  electronBinary = null;
}

const args = process.argv.slice(2);
if (typeof electronBinary === 'string') {
  const child = spawn(electronBinary, ['dist/electron/main.cjs', ...args], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(
    'Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD was set or the download failed): run `npm install electron` on a machine with internet to get the desktop app; serving the same workspace in your browser instead:',
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'electron/cli/main.ts', 'serve', ...args], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
}
