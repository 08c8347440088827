// The desktop shell without an Electron binary: Electron's API is replaced by a recorder, and the
// real modules are checked for what they ask of it: a sandboxed window that cannot navigate, a
// preload that exposes invoke/onEvent for api.ts operations only, IPC that checks its sender, and
// an app:// protocol that serves the renderer with its CSP and only opened files, by ranges.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { api } from '../../../src-main/core/api.ts';
import { createOpRunner } from '../../../src-main/core/app/index.ts';
import type { Handlers } from '../../../src-main/core/api.ts';
import { demoScene } from '../../helpers/harness.ts';

const rec = vi.hoisted(() => {
  const listeners = new Map<string, (...a: unknown[]) => void>();
  const webContents = {
    on: (event: string, fn: (...a: unknown[]) => void) => { listeners.set(event, fn); },
    setWindowOpenHandler: (fn: (d: { url: string }) => unknown) => { listeners.set('window-open', fn as never); },
    session: { setPermissionRequestHandler: (fn: unknown) => { listeners.set('permission', fn as never); }, setPermissionCheckHandler: (fn: unknown) => { listeners.set('permission-check', fn as never); } },
    send: (...a: unknown[]) => rec.sent.push(a),
    mainFrame: { url: 'app://mslens/index.html' },
  };
  return {
    ipc: new Map<string, (...a: unknown[]) => unknown>(),
    protocols: new Map<string, (req: Request) => Promise<Response>>(),
    privileged: [] as unknown[],
    exposed: {} as Record<string, Record<string, (...a: unknown[]) => unknown>>,
    invoked: [] as unknown[][],
    sent: [] as unknown[][],
    windowOptions: null as null | { webPreferences: Record<string, unknown> },
    listeners,
    webContents,
    opened: [] as string[],
  };
});

vi.mock('electron', () => ({
  ipcMain: { handle: (ch: string, fn: (...a: unknown[]) => unknown) => rec.ipc.set(ch, fn), removeHandler: (ch: string) => rec.ipc.delete(ch) },
  protocol: {
    registerSchemesAsPrivileged: (s: unknown[]) => rec.privileged.push(...s),
    handle: (scheme: string, fn: (req: Request) => Promise<Response>) => rec.protocols.set(scheme, fn),
  },
  net: { fetch: async (url: string) => new Response(readFileSync(fileURLToPath(url)), { headers: { 'content-type': url.endsWith('.html') ? 'text/html' : 'text/javascript' } }) },
  BrowserWindow: class {
    webContents = rec.webContents;
    constructor(opts: { webPreferences: Record<string, unknown> }) { rec.windowOptions = opts; }
    loadURL() { return Promise.resolve(); }
    once() {}
    isDestroyed() { return false; }
  },
  shell: { openExternal: (url: string) => { rec.opened.push(url); return Promise.resolve(); } },
  contextBridge: { exposeInMainWorld: (key: string, value: Record<string, (...a: unknown[]) => unknown>) => { rec.exposed[key] = value; } },
  ipcRenderer: {
    invoke: (...a: unknown[]) => { rec.invoked.push(a); return Promise.resolve({ ok: true, value: null }); },
    on: () => {},
    removeListener: () => {},
  },
}));

const { registerIpc } = await import('../../../src-main/electron/ipc.ts');
const { handleAppProtocol, registerAppScheme } = await import('../../../src-main/electron/app-protocol.ts');
const { createMainWindow } = await import('../../../src-main/electron/window.ts');

const fakeHandlers = new Proxy({}, { get: (_t, name: string) => async () => ({ op: name }) }) as Handlers;
const runner = createOpRunner(fakeHandlers);
const win = { webContents: rec.webContents, isDestroyed: () => false };
let renderer: string;
let scene: string;

beforeAll(async () => {
  renderer = await mkdtemp(join(tmpdir(), 'mslens-renderer-'));
  await mkdir(join(renderer, 'assets'));
  await writeFile(join(renderer, 'index.html'), '<!doctype html><title>mslens</title>');
  await writeFile(join(renderer, 'assets', 'a.js'), '1');
  scene = (await demoScene(2240)).scenePath;
  registerAppScheme();
  handleAppProtocol(renderer, runner.files);
  registerIpc({ runner, window: () => win as never, trustedOrigins: ['app://mslens'] });
});
afterAll(() => rm(renderer, { recursive: true, force: true }));

describe('the window', () => {
  test('is sandboxed, isolated, without Node, and cannot navigate or open windows', () => {
    createMainWindow({ preload: '/x/preload.cjs', url: 'app://mslens/index.html' });
    expect(rec.windowOptions!.webPreferences).toMatchObject({ preload: '/x/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    let prevented = false;
    rec.listeners.get('will-navigate')!({ preventDefault: () => { prevented = true; } });
    expect(prevented).toBe(true);
    const open = rec.listeners.get('window-open') as unknown as (d: { url: string }) => { action: string };
    expect(open({ url: 'https://www.openstreetmap.org/copyright' })).toEqual({ action: 'deny' });
    expect(rec.opened).toEqual(['https://www.openstreetmap.org/copyright']);
    expect(open({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(rec.opened).toHaveLength(1);
    let granted: boolean | null = null;
    (rec.listeners.get('permission') as unknown as (w: unknown, p: string, cb: (g: boolean) => void) => void)(null, 'geolocation', (g) => { granted = g; });
    expect(granted).toBe(false);
  });
});

describe('IPC', () => {
  test('one channel per api.ts operation, and no other', () => {
    expect([...rec.ipc.keys()].sort()).toEqual(Object.keys(api).map((n) => `mslens:${n}`).sort());
  });

  test('calls from the app window run; calls from elsewhere are refused', async () => {
    const handler = rec.ipc.get('mslens:listModels')!;
    const frame = rec.webContents.mainFrame;
    expect(await handler({ sender: rec.webContents, senderFrame: frame }, {}, 'job-ipc-0001')).toEqual({ ok: true, value: { op: 'listModels' } });
    const foreign = { ...frame, url: 'https://evil.example/' };
    expect(await handler({ sender: rec.webContents, senderFrame: foreign }, {})).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT' } });
    expect(await handler({ sender: {}, senderFrame: frame }, {})).toMatchObject({ ok: false });
    expect(await handler({ sender: rec.webContents, senderFrame: null }, {})).toMatchObject({ ok: false });
  });

  test('arguments are validated in main', async () => {
    const reply = await rec.ipc.get('mslens:search')!({ sender: rec.webContents, senderFrame: rec.webContents.mainFrame }, { index: 'x.parquet', text: '' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: expect.stringMatching(/query is empty/) } });
  });
});

describe('app:// protocol', () => {
  const get = (path: string, headers: Record<string, string> = {}) => rec.protocols.get('app')!(new Request(`app://mslens${path}`, { headers }));

  test('is a standard, secure scheme that streams', () => {
    expect(rec.privileged).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true, supportFetchAPI: true, stream: true }) }]);
  });

  test('serves the renderer, index.html with the CSP, and nothing outside it', async () => {
    const page = await get('/index.html');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await page.text()).toContain('<title>mslens</title>');
    expect(await (await get('/assets/a.js')).text()).toBe('1');
    expect((await get('/../../../etc/passwd')).status).toBe(404);
    expect((await get('/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
  });

  test('serves scenes by byte range once the user opened them, and no other file', async () => {
    const file = (p: string) => get(`/file?path=${encodeURIComponent(p)}`, { range: 'bytes=0-3' });
    expect((await file(scene)).status).toBe(403);
    await rec.ipc.get('mslens:openScene')!({ sender: rec.webContents, senderFrame: rec.webContents.mainFrame }, { path: scene });
    // The fake handlers open nothing: allow it as the runner would after a real openScene.
    await runner.files.allow(scene);
    const res = await file(scene);
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toMatch(/^bytes 0-3\/\d+$/);
    expect(Buffer.from(await res.arrayBuffer()).toString('latin1')).toBe('II*\0');
    expect((await file('/etc/passwd')).status).toBe(403);
  });
});

describe('preload', () => {
  test('exposes invoke and onEvent, for api.ts operations only', async () => {
    await import('../../../src-main/electron/preload.ts');
    const bridge = rec.exposed.mslens;
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'onEvent']);
    await bridge.invoke('search', { text: 'water' }, 'job-pre-0001');
    expect(rec.invoked.at(-1)).toEqual(['mslens:search', { text: 'water' }, 'job-pre-0001']);
    await expect(bridge.invoke('openDevTools', {})).rejects.toThrow(/no operation/);
    await expect(bridge.invoke('constructor', {})).rejects.toThrow(/no operation/);
    expect(rec.invoked).toHaveLength(1);
    const off = bridge.onEvent(() => {}) as () => void;
    expect(typeof off).toBe('function');
  });
});
