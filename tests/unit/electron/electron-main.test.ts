// The desktop main process starting up, with Electron's API replaced by a recorder: the app://
// scheme is privileged before the app is ready, the sandbox is enforced, one window loads the
// renderer through app://, every operation gets an IPC channel, and the menu has Open scene,
// Open index, Export, Models and Quit, whose Open items show a file dialog.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';
import { api } from '../../../src-main/core/api.ts';

const rec = vi.hoisted(() => ({
  order: [] as string[],
  ipc: new Set<string>(),
  windows: [] as { url: string; preload: string }[],
  menu: [] as { label?: string; submenu?: { label?: string; click?: () => Promise<void> | void }[] }[],
  sent: [] as unknown[][],
  quit: 0,
  dialogs: [] as unknown[],
}));

vi.mock('electron', () => {
  const webContents = {
    on: () => {}, setWindowOpenHandler: () => {}, send: (...a: unknown[]) => rec.sent.push(a),
    session: { setPermissionRequestHandler: () => {}, setPermissionCheckHandler: () => {} },
  };
  return {
    app: {
      getAppPath: () => '/opt/mslens/resources/app.asar',
      isPackaged: true,
      enableSandbox: () => rec.order.push('enableSandbox'),
      requestSingleInstanceLock: () => true,
      whenReady: () => { rec.order.push('whenReady'); return Promise.resolve(); },
      on: () => {},
      quit: () => { rec.quit++; },
      exit: () => {},
    },
    protocol: { registerSchemesAsPrivileged: () => rec.order.push('registerSchemesAsPrivileged'), handle: () => rec.order.push('protocol.handle') },
    ipcMain: { handle: (ch: string) => rec.ipc.add(ch), removeHandler: () => {} },
    net: { fetch: () => Promise.resolve(new Response('')) },
    BrowserWindow: class {
      static getAllWindows = () => [];
      webContents = webContents;
      constructor(o: { webPreferences: { preload: string } }) { rec.windows.push({ url: '', preload: o.webPreferences.preload }); }
      loadURL(url: string) { rec.windows.at(-1)!.url = url; return Promise.resolve(); }
      once() {} on() {} isDestroyed() { return false; } isMinimized() { return false; }
    },
    Menu: { buildFromTemplate: (t: typeof rec.menu) => { rec.menu = t; return t; }, setApplicationMenu: () => rec.order.push('setApplicationMenu') },
    dialog: {
      showOpenDialog: (_w: unknown, o: unknown) => { rec.dialogs.push(o); return Promise.resolve({ canceled: false, filePaths: ['/data/S2A_scene.tif'] }); },
      showSaveDialog: () => Promise.resolve({ canceled: true }),
    },
    shell: { openExternal: () => Promise.resolve() },
  };
});

const home = await mkdtemp(join(tmpdir(), 'mslens-main-'));
process.env.MSLENS_HOME = home;
delete process.env.MSLENS_BUILTIN_MODELS;
await import('../../../src-main/electron/main.ts');
await new Promise((r) => setTimeout(r, 50));
afterAll(() => rm(home, { recursive: true, force: true }));

test('the scheme is privileged and the sandbox enforced before the app is ready', () => {
  expect(rec.order.indexOf('registerSchemesAsPrivileged')).toBeLessThan(rec.order.indexOf('whenReady'));
  expect(rec.order.indexOf('enableSandbox')).toBeLessThan(rec.order.indexOf('whenReady'));
  expect(rec.order).toContain('protocol.handle');
});

test('built-in models are read from the unpacked folder beside the asar', () => {
  expect(process.env.MSLENS_BUILTIN_MODELS).toBe('/opt/mslens/resources/app.asar.unpacked/models');
});

test('one window, loading the renderer through app:// with the CommonJS preload', () => {
  expect(rec.windows).toHaveLength(1);
  expect(rec.windows[0].url).toBe('app://mslens/index.html');
  expect(rec.windows[0].preload).toMatch(/preload[\\/]preload\.cjs$/);
});

test('every operation has an IPC channel', () => {
  expect([...rec.ipc].sort()).toEqual(Object.keys(api).map((n) => `mslens:${n}`).sort());
});

test('the menu: Open scene, Open index, Export, Models, Quit; Open shows a file dialog', async () => {
  const file = rec.menu.find((m) => m.label === 'File')!;
  const labels = file.submenu!.map((i) => i.label).filter(Boolean);
  expect(labels).toEqual(['Open Scene…', 'Open Index…', 'Export GeoJSON…', 'Models…', 'Quit']);
  await file.submenu!.find((i) => i.label === 'Open Scene…')!.click!();
  expect(rec.dialogs).toHaveLength(1);
  expect(rec.sent.at(-1)).toEqual(['mslens:event', 'menu', { action: 'openScene', path: '/data/S2A_scene.tif' }]);
  file.submenu!.find((i) => i.label === 'Quit')!.click!();
  expect(rec.quit).toBe(1);
});
