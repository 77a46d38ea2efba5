import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost } from '../../electron/host/server';
import { decodeWire } from '../../electron/api/wire';

test('the test host serves only on 127.0.0.1, demands the token, and refuses path traversal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'candor-host-'));
  writeFileSync(join(dir, 'index.html'), '<p>hello</p>');
  const seen: unknown[] = [];
  const host = await startHost({
    rendererDir: dir,
    dispatch: async (channel, request) => {
      seen.push([channel, request]);
      return { ok: true, value: { channel } };
    },
  });
  try {
    assert.match(host.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(host.token.length >= 32);
    const page = await fetch(host.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(await page.text(), '<p>hello</p>');

    const noToken = await fetch(`${host.origin}/api/app:info`, { method: 'POST', body: '{}' });
    assert.equal(noToken.status, 403);
    const wrongToken = await fetch(`${host.origin}/api/app:info`, { method: 'POST', body: '{}', headers: { 'x-candor-token': 'x'.repeat(48) } });
    assert.equal(wrongToken.status, 403);
    assert.equal(seen.length, 0);

    const ok = await fetch(`${host.origin}/api/app:info`, { method: 'POST', body: '{}', headers: { 'x-candor-token': host.token } });
    assert.deepEqual(decodeWire(await ok.text()), { ok: true, value: { channel: 'app:info' } });

    const traversal = await fetch(`${host.origin}/..%2f..%2f..%2fetc%2fpasswd`);
    assert.equal(traversal.status, 404);
    const garbage = await fetch(`${host.origin}/api/app:info`, { method: 'POST', body: '{not json', headers: { 'x-candor-token': host.token } });
    assert.equal(garbage.status, 400);
  } finally {
    await host.close();
  }
});
