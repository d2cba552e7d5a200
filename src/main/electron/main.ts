// The Electron shell: one window on the engine. Thin by design: everything else is the engine, shared with browser mode.
import { app, BrowserWindow, session, shell } from 'electron';
import path from 'node:path';
import { openEngine, type Engine } from '../app';
import { forwardEvents, registerIpc } from './ipc';
import { registerAppScheme, serveRenderer } from './protocol';
import { APP_INDEX_URL, isAppUrl, windowWebPreferences } from './security';

declare const MAIN_WINDOW_VITE_DEV_SERVER_URL: string | undefined;
declare const MAIN_WINDOW_VITE_NAME: string;

const devServerUrl = typeof MAIN_WINDOW_VITE_DEV_SERVER_URL === 'string' ? MAIN_WINDOW_VITE_DEV_SERVER_URL : undefined;
let engine: Engine | undefined;

registerAppScheme();

function hardenContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      // Links to the web open in the user's browser, never in an app window.
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url, devServerUrl)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url, devServerUrl)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Tunebench',
    show: false,
    webPreferences: windowWebPreferences(path.join(__dirname, 'preload.js')),
  });
  const stopForwarding = forwardEvents(engine!, win.webContents);
  win.on('closed', stopForwarding);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(devServerUrl ?? APP_INDEX_URL);
}

app.whenReady().then(
  () => {
    hardenContents();
    // No page of ours needs the camera, notifications or anything else a permission guards.
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    serveRenderer(path.join(__dirname, '..', 'renderer', MAIN_WINDOW_VITE_NAME));
    engine = openEngine({ externalChangePollMs: 500, runSyncIntervalMs: 500 });
    registerIpc(engine, devServerUrl);
    createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  },
  (err: unknown) => {
    console.error('tunebench: could not start:', err);
    app.exit(1);
  },
);

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', () => engine?.close());
