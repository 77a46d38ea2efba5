/**
 * The Electron window's rules as plain functions (the Electron binary is not installed here): which
 * IPC sender is the app, which permission is granted, what app:// serves (and refuses), where a
 * report is saved, and the fuses electron-builder flips in the packaged binary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { allowPermission, APP_URL, isAppOrigin, isAppSender } from '../../electron/security';
import { resolveStaticPath } from '../../electron/static-files';
import { answerAppRequest } from '../../electron/app-protocol';
import { savePdfOptions, withPdfExtension } from '../../electron/save-dialog';
import { repoRoot } from '../../electron/version';
import { inTempDir } from '../db/helpers';

test('IPC answers only the app page in the main frame, by exact URL', () => {
  assert.equal(APP_URL, 'app://candor/index.html');
  assert.equal(isAppSender({ url: APP_URL, isMainFrame: true }), true);
  for (const [url, isMainFrame, why] of [
    [APP_URL, false, 'a subframe of the app page'],
    ['file:///opt/Candor/resources/app.asar/dist/renderer/index.html', true, 'any file:// page, even the old one'],
    ['file:///tmp/evil.html', true, 'a local file'],
    ['app://candor/index.html?x=1', true, 'the page with a query'],
    ['app://candor/index.html#top', true, 'the page with a fragment'],
    ['app://candor/other.html', true, 'another page of the origin'],
    ['app://candor.evil/index.html', true, 'a look-alike host'],
    ['https://candor/index.html', true, 'another scheme'],
    ['', true, 'no URL'],
  ] as const) {
    assert.equal(isAppSender({ url, isMainFrame }), false, why);
  }
  assert.equal(isAppSender(null), false, 'a frame that is gone');
});

test('the one permission is clipboard writing, for the app origin only', () => {
  assert.equal(allowPermission('clipboard-sanitized-write', APP_URL), true);
  assert.equal(allowPermission('clipboard-sanitized-write', 'app://candor'), true, 'an origin as the check handler gives it');
  assert.equal(allowPermission('clipboard-sanitized-write', 'https://evil.example'), false);
  assert.equal(allowPermission('clipboard-sanitized-write', 'app://candor.evil/'), false);
  assert.equal(allowPermission('clipboard-sanitized-write', 'app://user@candor/'), false);
  assert.equal(allowPermission('clipboard-sanitized-write', 'not a url'), false);
  for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen']) assert.equal(allowPermission(p, APP_URL), false, p);
  assert.equal(isAppOrigin('app://candor:8080/'), false, 'a port makes another origin');
});

test('the file resolver keeps every path inside the folder: encoded dots, backslashes, colons, NUL', () => {
  const root = '/srv/renderer';
  const ok = (p: string) => {
    const r = resolveStaticPath(root, p);
    return r.ok ? r.file : `refused ${r.status}`;
  };
  assert.equal(ok('/'), '/srv/renderer/index.html');
  assert.equal(ok('/assets/index-abc.js'), '/srv/renderer/assets/index-abc.js');
  assert.equal(ok('/assets/./x.js'), '/srv/renderer/assets/x.js');
  assert.equal(ok('//etc/passwd'), '/srv/renderer/etc/passwd', 'a double slash stays inside');
  assert.equal(ok('/%252e%252e/x'), '/srv/renderer/%2e%2e/x', 'decoded once: a double-encoded dot is a name, not a step up');
  for (const p of [
    '/../secret', '/%2e%2e/secret', '/%2E%2E%2Fsecret', '/..%2fsecret', '/assets/..%2f..%2fsecret', '/.%2e/secret',
    '/..%5csecret', '/%5c..%5csecret', '/assets\\..\\..\\secret', '/C:%5Cwindows%5Cwin.ini', '/C:/windows', '/index.html%00.png', '/%00',
  ]) {
    assert.equal(ok(p), 'refused 404', p);
  }
  assert.equal(ok('/%E0%A4%A'), 'refused 400', 'a cut UTF-8 escape');
  assert.equal(ok('/%zz'), 'refused 400', 'not hex');
});

test('app:// serves the renderer folder under its one origin, with the CSP; nothing else', () =>
  inTempDir(async (dir) => {
    const root = join(dir, 'renderer');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<p>app</p>');
    writeFileSync(join(root, 'assets', 'a.js'), 'export {}');
    writeFileSync(join(dir, 'secret.txt'), 'secret');
    symlinkSync(join(dir, 'secret.txt'), join(root, 'leak.txt'));
    const get = (url: string, method = 'GET') => answerAppRequest(root, { url, method });
    const text = (b: Uint8Array | string) => (typeof b === 'string' ? b : Buffer.from(b).toString('utf8'));

    const page = await get(APP_URL);
    assert.equal(page.status, 200);
    assert.equal(text(page.body), '<p>app</p>');
    assert.match(page.headers['content-security-policy']!, /default-src 'self'/);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal((await get('app://candor/')).status, 200, 'the root is the page');
    const js = await get('app://candor/assets/a.js');
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');

    for (const url of ['app://candor/%2e%2e/secret.txt', 'app://candor/..%2fsecret.txt', 'app://candor/assets/..%5c..%5csecret.txt', 'app://candor/leak.txt', 'app://candor/missing.js', 'app://candor/assets']) {
      const a = await get(url);
      assert.equal(a.status, 404, url);
      assert.ok(!text(a.body).includes('secret'), `${url} leaks nothing`);
    }
    assert.equal((await get('app://other/index.html')).status, 404, 'another host is not the app');
    assert.equal((await get('app://candor/%E0%A4%A')).status, 400);
    assert.equal((await get(APP_URL, 'POST')).status, 405);
    assert.equal((await get('::not a url')).status, 400);
  }),
);

test('a report is saved where the user chooses, starting in Documents under the suggested name, always as .pdf', () => {
  const o = savePdfOptions('/home/ada/Documents', 'candor-report-entries-12-14.pdf');
  assert.equal(o.defaultPath, '/home/ada/Documents/candor-report-entries-12-14.pdf');
  assert.deepEqual(o.filters, [{ name: 'PDF report', extensions: ['pdf'] }]);
  assert.equal(savePdfOptions('/d', '../../etc/cron.d/x').defaultPath, '/d/x.pdf', 'only the name part of a suggestion is used');
  assert.equal(savePdfOptions('/d', '..\\..\\x.pdf').defaultPath, '/d/x.pdf');
  assert.equal(withPdfExtension('/d/report'), '/d/report.pdf');
  assert.equal(withPdfExtension('/d/report.PDF'), '/d/report.PDF');
});

test('electron-builder accepts the configuration and flips the fuses the app asks for', async () => {
  const require = createRequire(import.meta.url);
  const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
    getConfig(dir: string, path: string, extra: null): Promise<{ electronFuses?: Record<string, boolean> }>;
    validateConfiguration(config: unknown, debug: { isEnabled: boolean; add(): void }): Promise<void>;
  };
  const config = await getConfig(repoRoot(), join(repoRoot(), 'build', 'electron-builder.yml'), null);
  await validateConfiguration(config, { isEnabled: false, add() {} });
  // The fuse wire electron-builder writes, through its own mapping to @electron/fuses.
  const { PlatformPackager } = require('app-builder-lib') as { PlatformPackager: { prototype: { generateFuseConfig(f: unknown): Promise<Record<number, boolean>> } } };
  const { FuseV1Options } = require('@electron/fuses') as { FuseV1Options: Record<string, number> };
  const wire = await PlatformPackager.prototype.generateFuseConfig.call({}, config.electronFuses);
  const fuse = (name: string) => wire[FuseV1Options[name]!];
  assert.equal(fuse('RunAsNode'), false);
  assert.equal(fuse('EnableNodeOptionsEnvironmentVariable'), false);
  assert.equal(fuse('EnableNodeCliInspectArguments'), false);
  assert.equal(fuse('EnableEmbeddedAsarIntegrityValidation'), true);
  assert.equal(fuse('OnlyLoadAppFromAsar'), true);
  assert.equal(fuse('EnableCookieEncryption'), true);
  assert.equal(fuse('GrantFileProtocolExtraPrivileges'), false);
});
