/**
 * Electron main process: window hardening, the app:// protocol and the IPC bridge. Kept thin: the
 * rules it applies are plain functions (security.ts, app-protocol.ts, save-dialog.ts) tested
 * without Electron, and everything it serves comes from the same services the CLI and the
 * browser test host use.
 */
import { app, BrowserWindow, dialog, ipcMain, protocol, safeStorage, session } from 'electron';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CHANNELS, ipcName } from './api/contract';
import { answerAppRequest } from './app-protocol';
import { createDispatch } from './ipc/handlers';
import { savePdfOptions, withPdfExtension } from './save-dialog';
import { allowPermission, APP_SCHEME, APP_URL, CONTENT_SECURITY_POLICY, isAppSender } from './security';
import { createServices, type ServiceConfig } from './services/index';
import { resolveResources } from './paths';

app.enableSandbox();
// Before ready: app:// is a standard, secure origin of its own ('self' in the CSP means app://candor).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }]);

/** The built renderer: beside the main bundle (dist/electron → dist/renderer), inside app.asar when packaged. */
const RENDERER_DIR = join(__dirname, '..', 'renderer');

function harden(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(allowPermission(permission, details.requestingUrl)));
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => allowPermission(permission, requestingOrigin));
  // No remote content and no files by URL: the renderer comes from app:// and talks only over IPC.
  ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'file:///*'] }, (_d, callback) => callback({ cancel: true }));
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  protocol.handle(APP_SCHEME, async (request) => {
    const a = await answerAppRequest(RENDERER_DIR, { url: request.url, method: request.method });
    return new Response(typeof a.body === 'string' ? a.body : new Uint8Array(a.body), { status: a.status, headers: a.headers });
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    // No new windows and nothing handed to the system browser.
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

async function createWindow(): Promise<void> {
  const resources = resolveResources(app.isPackaged ? process.resourcesPath : join(__dirname, '..', '..'));
  let win: BrowserWindow | null = null;
  const config: ServiceConfig = {
    appVersion: app.getVersion(),
    modelDir: process.env.CANDOR_MODEL_DIR ?? resources.demoBundle,
    samplesIndex: resources.samplesIndex,
    // A folder of its own: on macOS and Windows userData is also the config folder, where the signing
    // key lives, and the key must not sit in (or under) the database's folder.
    dbPath: process.env.CANDOR_DB ?? join(app.getPath('userData'), 'audit-log', 'candor-audit.sqlite'),
    cacheFolder: app.getPath('userData'),
    // The signing key is kept encrypted by the OS keychain where it offers one.
    safeStorage,
    log: (line) => console.error(line),
    chooseFile: async () => {
      const options = { properties: ['openFile' as const], filters: [{ name: 'Scans', extensions: ['dcm', 'dicom', 'png', 'jpg', 'jpeg', '*'] }] };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    chooseSavePath: async (suggestedName) => {
      const options = savePdfOptions(app.getPath('documents'), suggestedName);
      const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return result.canceled || !result.filePath ? null : withPdfExtension(result.filePath);
    },
  };
  mkdirSync(dirname(config.dbPath!), { recursive: true });
  const services = createServices(config);
  // dispose() writes the exit anchor (a checkpoint file outside the database's folder) before quitting.
  let quitting = false;
  app.on('will-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    void services.dispose().finally(() => app.exit(0));
  });
  const dispatch = createDispatch(services, (line) => console.error(line));
  for (const channel of CHANNELS) {
    ipcMain.handle(ipcName(channel), (event, request: unknown) => {
      const frame = event.senderFrame;
      if (!isAppSender(frame ? { url: frame.url, isMainFrame: frame.parent === null } : null)) {
        return { ok: false, error: { code: 'invalid-request', message: 'requests are accepted from the app window only' } };
      }
      return dispatch(channel, request);
    });
  }

  win = new BrowserWindow({
    width: 1440,
    height: 900,
    title: 'Candor',
    backgroundColor: '#111418',
    webPreferences: {
      preload: join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.on('closed', () => {
    win = null;
  });
  await win.loadURL(APP_URL);
}

app.whenReady().then(() => {
  harden();
  return createWindow();
}).catch((err: unknown) => {
  console.error(err);
  app.exit(1);
});

app.on('window-all-closed', () => app.quit());
