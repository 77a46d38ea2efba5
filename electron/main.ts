/**
 * Electron main process: window hardening and the IPC bridge. Kept thin: everything it
 * serves comes from the same services the CLI and the browser test host use.
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron';
import { join } from 'node:path';
import { CHANNELS, ipcName } from './api/contract';
import { createDispatch } from './ipc/handlers';
import { CONTENT_SECURITY_POLICY } from './security';
import { createServices } from './services/index';
import { resolveResources } from './paths';

app.enableSandbox();

function harden(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  // No remote content: the renderer is loaded from files and talks only over IPC.
  ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (_d, callback) =>
    callback({ cancel: true }),
  );
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}

async function createWindow(): Promise<void> {
  const resources = resolveResources(app.isPackaged ? process.resourcesPath : join(__dirname, '..', '..'));
  const services = createServices({
    appVersion: app.getVersion(),
    modelDir: process.env.CANDOR_MODEL_DIR ?? resources.demoBundle,
    samplesIndex: resources.samplesIndex,
    dbPath: process.env.CANDOR_DB ?? join(app.getPath('userData'), 'candor-audit.sqlite'),
    chooseFile: async () => {
      const result = await dialog.showOpenDialog({
        properties: ['openFile'],
        filters: [{ name: 'Scans', extensions: ['dcm', 'dicom', 'png', 'jpg', 'jpeg', '*'] }],
      });
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
  });
  const dispatch = createDispatch(services, (line) => console.error(line));
  for (const channel of CHANNELS) {
    ipcMain.handle(ipcName(channel), (event, request: unknown) => {
      const url = event.senderFrame?.url ?? '';
      if (!url.startsWith('file://')) {
        return { ok: false, error: { code: 'invalid-request', message: 'requests are accepted from the app window only' } };
      }
      return dispatch(channel, request);
    });
  }

  const win = new BrowserWindow({
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
  await win.loadFile(join(__dirname, '..', 'renderer', 'index.html'));
}

app.whenReady().then(() => {
  harden();
  return createWindow();
}).catch((err: unknown) => {
  console.error(err);
  app.exit(1);
});

app.on('window-all-closed', () => app.quit());
