/**
 * The desktop app's main process: the real core behind an op runner, reached over IPC from one
 * sandboxed window whose files (and the scenes the user opens) come through `app://mslens/`.
 */
import { app, BrowserWindow, Menu } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOpRunner } from '../core/app/index.ts';
import { resolveDataHome } from '../core/data-home.ts';
import { createHandlers } from '../core/handlers/index.ts';
import { APP_ORIGIN, handleAppProtocol, registerAppScheme } from './app-protocol.ts';
import { chooseFile } from './dialogs.ts';
import { registerIpc } from './ipc.ts';
import { buildMenu } from './menu.ts';
import { createMainWindow } from './window.ts';

// Built-in models ship unpacked beside the asar archive (ONNX Runtime reads them from disk).
const unpacked = (p: string): string => p.replace(/app\.asar([\\/]|$)/, 'app.asar.unpacked$1');
process.env.MSLENS_BUILTIN_MODELS ??= unpacked(join(app.getAppPath(), 'models'));

const here = fileURLToPath(new URL('.', import.meta.url));
const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;

registerAppScheme();
app.enableSandbox();

let win: BrowserWindow | null = null;
const currentWindow = (): BrowserWindow | null => win;

const handlers = { ...createHandlers({ home: resolveDataHome(), builtInModels: process.env.MSLENS_BUILTIN_MODELS, relativePaths: 'refuse' }), chooseFile: (arg: Parameters<typeof chooseFile>[1]) => chooseFile(win, arg) };
const runner = createOpRunner(handlers, { log: (e) => console.error(e) });

function openWindow(): void {
  win = createMainWindow({ preload: join(here, '../preload/preload.cjs'), url: devUrl ?? `${APP_ORIGIN}/index.html` });
  win.on('closed', () => {
    runner.jobs.cancelAll();
    win = null;
  });
}

app.on('second-instance', () => {
  if (win) {
    if (win.isMinimized()) win.restore();
    win.focus();
  }
});

function start(): void {
  handleAppProtocol(join(here, '../renderer'), runner.files, { devOrigin: devUrl ? new URL(devUrl).origin : undefined });
  registerIpc({ runner, window: currentWindow, trustedOrigins: [APP_ORIGIN, ...(devUrl ? [new URL(devUrl).origin] : [])] });
  Menu.setApplicationMenu(buildMenu(currentWindow));
  openWindow();
  app.on('activate', () => { if (BrowserWindow.getAllWindows().length === 0) openWindow(); });
}

// One instance: a second launch focuses the first window.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.whenReady().then(start).catch((err: unknown) => {
    console.error(err);
    app.exit(1);
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
