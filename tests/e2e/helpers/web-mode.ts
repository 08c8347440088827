/**
 * Web mode as the analyst starts it: `mslens serve --port 0 --json` on 127.0.0.1 with a temporary
 * data folder, and Debian's Chromium driven by playwright-core. Every request that would leave
 * this machine (the OSM basemap) is blocked, so the UI is seen as it is offline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { demoScene, REPO } from '../../helpers/harness.ts';

export const CHROMIUM = process.env.MSLENS_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(REPO, 'test-results', 'screenshots');

export interface WebMode {
  /** The URL `mslens serve` printed, token included. */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  token: string;
  home: string;
  /** Calls an operation the way the renderer does. */
  call<T = unknown>(op: string, arg: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startWebMode(opts: { home?: string; env?: Record<string, string> } = {}): Promise<WebMode> {
  const home = opts.home ?? (await mkdtemp(join(tmpdir(), 'mslens-e2e-')));
  const child: ChildProcess = spawn(process.execPath, [join(REPO, 'bin/mslens.mjs'), 'serve', '--port', '0', '--json'], {
    env: { ...process.env, ...opts.env, MSLENS_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mslens serve printed no URL in 60 s. stderr:\n${stderr}`)), 60_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      try { resolve((JSON.parse(line) as { url: string }).url); } catch { reject(new Error(`mslens serve printed ${line}`)); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`mslens serve exited (${code}). stderr:\n${stderr}`)); });
  });
  const parsed = new URL(url);
  const token = parsed.searchParams.get('token') ?? '';
  const origin = parsed.origin;
  return {
    url, origin, token, home,
    async call<T>(op: string, arg: unknown): Promise<T> {
      const res = await fetch(`${origin}/api/${op}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mslens-token': token }, body: JSON.stringify(arg) });
      const reply = (await res.json()) as { ok: boolean; value?: T; error?: { message: string } };
      if (!reply.ok) throw new Error(`${op}: ${reply.error?.message}`);
      return reply.value as T;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (!opts.home) await rm(home, { recursive: true, force: true });
    },
  };
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors other than blocked network requests. */
  errors: string[];
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openBrowser(viewport = { width: 1440, height: 900 }): Promise<BrowserSession> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport, acceptDownloads: true, deviceScaleFactor: 1 });
  // Nothing leaves this machine: the basemap's tile requests fail as they would offline.
  await context.route((u) => !['127.0.0.1', 'localhost'].includes(u.hostname), (route) => route.abort('internetdisconnected'));
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Blocked basemap tiles fail as they would offline; anything else is an error.
    const from = m.location().url;
    const external = from !== '' && !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(from);
    if (m.type() === 'error' && !external) errors.push(`console: ${m.text()} (${from})`);
  });
  await mkdir(SHOTS, { recursive: true });
  return {
    browser, context, page, errors,
    async shot(name) {
      // Let the imagery finish streaming in (and the map settle) first.
      await page.locator('[data-testid="map"][data-loading="false"]').waitFor({ timeout: 30_000 }).catch(() => {});
      await page.waitForTimeout(300);
      const path = join(SHOTS, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    close: () => browser.close(),
  };
}

export interface IndexedDemo {
  web: WebMode;
  b: BrowserSession;
  scene: string;
  index: string;
}

/**
 * A returning analyst: web mode with the demo scene indexed and in the Recent lists, opened in
 * Chromium at `viewport` and waited on until the app shows the index.
 */
export async function openIndexedDemo(viewport = { width: 1440, height: 900 }): Promise<IndexedDemo> {
  const web = await startWebMode();
  const scene = (await demoScene(2240)).scenePath;
  const index = (await web.call<{ path: string }>('buildIndex', { scene })).path;
  await web.call('saveAppState', { recent: { scenes: [scene], indexes: [{ scene, index }] } });
  const b = await openBrowser(viewport);
  await b.page.goto(web.url);
  await b.page.getByTestId('index-card').getByText('Indexed').waitFor({ timeout: 60_000 });
  return { web, b, scene, index };
}
