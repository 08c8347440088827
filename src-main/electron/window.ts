/**
 * The one window: a sandboxed renderer (contextIsolation, no Node), the preload as its only
 * bridge, no navigation, no new windows (https links open in the browser), no permissions.
 */
import { BrowserWindow, shell } from 'electron';

export interface WindowOptions {
  preload: string;
  /** app://mslens/index.html, or the dev server's URL. */
  url: string;
}

export function createMainWindow(o: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 640,
    show: false,
    backgroundColor: '#0f1419',
    title: 'mslens',
    webPreferences: {
      preload: o.preload,
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
  const wc = win.webContents;
  wc.on('will-navigate', (event) => event.preventDefault());
  wc.on('will-redirect', (event) => event.preventDefault());
  wc.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  wc.on('will-attach-webview', (event) => event.preventDefault());
  wc.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  wc.session.setPermissionCheckHandler(() => false);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(o.url);
  return win;
}
