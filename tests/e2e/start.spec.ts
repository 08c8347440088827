// `npm start` where Electron's binary is missing: one line saying so, then web mode from the
// bundled build (out/main/web.js, the same core chunks and indexing worker the desktop app runs).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO, demoScene } from '../helpers/harness.ts';

let child: ChildProcess;
let home: string;
const lines: string[] = [];
let url: URL;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mslens-start-'));
  child = spawn(process.execPath, [join(REPO, 'scripts/start.mjs'), '--no-open'], {
    cwd: REPO,
    env: { ...process.env, MSLENS_HOME: home, MSLENS_NO_ELECTRON: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const rl = createInterface({ input: child.stdout! });
  url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no URL: ${lines.join('\n')}`)), 90_000);
    rl.on('line', (line) => {
      lines.push(line);
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(line);
      if (m) { clearTimeout(timer); resolve(new URL(m[1])); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`npm start exited (${code}): ${lines.join('\n')}`)); });
  });
}, 120_000);
afterAll(async () => {
  if (child?.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(home, { recursive: true, force: true });
});

const call = async (op: string, arg: unknown): Promise<{ ok: boolean; value?: Record<string, unknown>; error?: unknown }> => {
  const res = await fetch(`${url.origin}/api/${op}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mslens-token': url.searchParams.get('token')! }, body: JSON.stringify(arg) });
  return res.json() as Promise<{ ok: boolean; value?: Record<string, unknown> }>;
};

describe('npm start without Electron', () => {
  test('says so in one line, then prints the web-mode URL', () => {
    expect(lines[0]).toMatch(/Electron's binary is not installed.*web mode/);
    expect(lines.filter((l) => /Electron/.test(l))).toHaveLength(1);
    expect(url.hostname).toBe('127.0.0.1');
  });

  test('serves the app to the printed URL', async () => {
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const page = await fetch(`${url.origin}/`, { headers: { cookie: String(res.headers.get('set-cookie')).split(';')[0] } });
    expect(await page.text()).toMatch(/<meta name="mslens-token"/);
  });

  test('the bundled core indexes in its worker and searches', async () => {
    const { scenePath } = await demoScene(2240);
    const built = await call('buildIndex', { scene: scenePath });
    expect(built.ok, JSON.stringify(built.error)).toBe(true);
    // 100 tiles less the nodata corner and the tile under the demo's big cloud.
    expect(built.value).toMatchObject({ tilesIndexed: 98, tilesSkippedCloudy: 1, tilesSkippedNodata: 1, provider: 'cpu', cached: false });
    const found = await call('search', { index: built.value!.path, text: 'snow', topK: 3 });
    expect(found.ok).toBe(true);
    expect((found.value!.results as unknown[]).length).toBe(3);
  });
});
