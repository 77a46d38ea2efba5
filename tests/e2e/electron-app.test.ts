import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { _electron } from 'playwright-core';

const require = createRequire(import.meta.url);
function electronBinary(): string | null {
  try {
    const p: unknown = require('electron');
    return typeof p === 'string' ? p : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
test(
  'the Electron app opens its window with the one preload API and no Node in the page',
  { skip: binary ? false : 'Electron binary not installed here (ELECTRON_SKIP_BINARY_DOWNLOAD); runs where `npm install` could download it' },
  async () => {
    const app = await _electron.launch({ executablePath: binary!, args: ['dist/electron/main.cjs'] });
    try {
      const win = await app.firstWindow();
      const shape = await win.evaluate(() => ({
        api: typeof window.candor?.invoke,
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
      }));
      assert.deepEqual(shape, { api: 'function', require: 'undefined', process: 'undefined' });
    } finally {
      await app.close();
    }
  },
);
