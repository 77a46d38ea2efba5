import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, join } from 'node:path';
import { startHost } from '../../electron/host/server';
import { decodeWire } from '../../electron/api/wire';
import { testTempDir } from '../temp-dir';

test('the test host serves only on 127.0.0.1, demands the token, and refuses path traversal', async () => {
  const dir = testTempDir('candor-host-');
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

/** One raw HTTP exchange: the Host header and the request line exactly as given (fetch would fix both). */
function rawRequest(port: number, head: string, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolveRaw, reject) => {
    // Written, not ended: the server closes the connection after its answer (Connection: close, HTTP/1.0).
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head}\r\n\r\n${body}`));
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!m) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 80))}`));
      resolveRaw({ status: Number(m[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

test('the test host answers only to its own Host (DNS rebinding) and refuses malformed escapes with 400, staying up', async () => {
  // The served folder and, beside it, a secret a symlink inside points to.
  const outer = testTempDir('candor-host-');
  const dir = join(outer, 'served');
  mkdirSync(dir);
  writeFileSync(join(dir, 'index.html'), '<p>hello</p>');
  writeFileSync(join(outer, `${basename(dir)}-secret.txt`), 'secret');
  symlinkSync(join(outer, `${basename(dir)}-secret.txt`), join(dir, 'leak.txt'));
  const seen: string[] = [];
  const host = await startHost({ rendererDir: dir, dispatch: async (channel) => (seen.push(String(channel)), { ok: true, value: null }) });
  const port = Number(new URL(host.origin).port);
  const get = (path: string, hostHeader = `127.0.0.1:${port}`) => rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close`);
  const post = (path: string, hostHeader = `127.0.0.1:${port}`) =>
    rawRequest(port, `POST ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nx-candor-token: ${host.token}\r\nContent-Length: 2\r\nConnection: close`, '{}');
  try {
    assert.equal((await get('/')).status, 200);
    for (const evil of ['evil.example', `evil.example:${port}`, `localhost:${port}`, '127.0.0.1', `127.0.0.1:${port + 1}`]) {
      assert.equal((await get('/', evil)).status, 421, `page with Host: ${evil}`);
      assert.equal((await post('/api/app:info', evil)).status, 421, `API with Host: ${evil}, even with the token`);
    }
    assert.equal((await rawRequest(port, 'GET / HTTP/1.0')).status, 421, 'no Host at all');
    assert.deepEqual(seen, [], 'no refused request reached the dispatch');

    for (const bad of ['/%E0%A4%A', '/%zz', '/assets/%', '/%E0%A4%A/index.html']) assert.equal((await get(bad)).status, 400, `GET ${bad}`);
    assert.equal((await post('/api/%zz')).status, 400, 'a channel name with a malformed escape');
    assert.equal((await post('/api/%E0%A4%A')).status, 400);
    for (const p of ['/..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/..%5c..%5cetc%5cpasswd', '/index.html%00.png', '/leak.txt']) {
      const r = await get(p);
      assert.equal(r.status, 404, `GET ${p}`);
      assert.ok(!r.body.includes('secret') && !r.body.includes('root:'), `${p} leaks nothing`);
    }
    assert.equal((await post('/api/app:info')).status, 200, 'the host still answers after all that');
    assert.deepEqual(seen, ['app:info']);
  } finally {
    await host.close();
  }
});
