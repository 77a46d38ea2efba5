import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../electron/version';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|tsx)$/.test(name)) out.push(p);
  }
  return out;
}

test('every ipcRenderer.invoke / ipcMain.handle takes its channel name from the contract', () => {
  const hits: string[] = [];
  for (const file of [...sources(join(repoRoot(), 'electron')), ...sources(join(repoRoot(), 'renderer'))]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(ipcRenderer\.invoke|ipcMain\.handle)\(([^,)]*)/g)) {
      hits.push(`${file}: ${m[0]}`);
      assert.match(m[2]!.trim(), /^ipcName\(/, `${file} uses a channel not built by the contract: ${m[0]}`);
    }
  }
  assert.ok(hits.length >= 2, `expected the preload and main to use IPC, found ${hits.join(', ')}`);
});
