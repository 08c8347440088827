// Web mode lets in only this run's page: requests without the token, with a foreign Origin or
// Host, or for files the user never opened, are refused. Scenes are served with byte ranges.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoScene } from '../helpers/harness.ts';
import { openBrowser, startWebMode, type WebMode } from './helpers/web-mode.ts';

let web: WebMode;
let scene: string;

beforeAll(async () => {
  web = await startWebMode();
  scene = (await demoScene(2240)).scenePath;
});
afterAll(() => web?.stop());

/** A raw request, so that Host and Origin can be anything. */
function raw(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { port } = new URL(web.origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
const json = { 'content-type': 'application/json' };

describe('web mode security', () => {
  test('binds 127.0.0.1 only, on the port it printed', () => {
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
  });

  test('requests without the token are refused', async () => {
    expect((await raw('/')).status).toBe(401);
    expect((await raw('/assets/x.js')).status).toBe(401);
    expect((await raw('/api/events')).status).toBe(401);
    expect((await raw('/api/listModels', { method: 'POST', headers: json, body: '{}' })).status).toBe(401);
    expect((await raw('/api/listModels', { method: 'POST', headers: { ...json, 'x-mslens-token': 'x'.repeat(43) }, body: '{}' })).status).toBe(401);
    expect((await raw(`/file?path=${encodeURIComponent(scene)}`)).status).toBe(401);
    const refused = await raw('/api/appState', { method: 'POST', headers: json, body: '{}' });
    expect(JSON.parse(refused.body)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/token/) } });
  });

  test('the token works in the header; a cookie alone does not call operations', async () => {
    const ok = await raw('/api/listModels', { method: 'POST', headers: { ...json, 'x-mslens-token': web.token }, body: '{}' });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).ok).toBe(true);
    const cookieOnly = await raw('/api/listModels', { method: 'POST', headers: { ...json, cookie: `mslens_token=${web.token}` }, body: '{}' });
    expect(cookieOnly.status).toBe(401);
  });

  test('the printed URL trades its token for a strict session cookie', async () => {
    const r = await raw(`/?token=${web.token}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    expect(String(r.headers['set-cookie'])).toMatch(/mslens_token=[^;]+; Path=\/; HttpOnly; SameSite=Strict/);
    const page = await raw('/', { headers: { cookie: `mslens_token=${web.token}` } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
  });

  test('a foreign Origin or Host is refused, even with the token', async () => {
    const headers = { ...json, 'x-mslens-token': web.token };
    expect((await raw('/api/listModels', { method: 'POST', headers: { ...headers, origin: 'https://evil.example' }, body: '{}' })).status).toBe(403);
    expect((await raw('/api/listModels', { method: 'POST', headers: { ...headers, origin: 'null' }, body: '{}' })).status).toBe(403);
    expect((await raw('/api/listModels', { method: 'POST', headers: { ...headers, host: 'evil.example:80' }, body: '{}' })).status).toBe(421);
    expect((await raw('/api/listModels', { method: 'POST', headers: { ...headers, origin: web.origin }, body: '{}' })).status).toBe(200);
  });

  test('files are served only once opened, with byte ranges; nothing outside them', async () => {
    const t = { 'x-mslens-token': web.token };
    const file = (p: string, h: Record<string, string> = {}) => raw(`/file?path=${encodeURIComponent(p)}`, { headers: { ...t, ...h } });
    expect((await file(scene)).status).toBe(403);
    expect((await file('/etc/passwd')).status).toBe(403);
    await web.call('openScene', { path: scene });
    const part = await file(scene, { range: 'bytes=0-7' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toMatch(/^bytes 0-7\/\d+$/);
    expect(Buffer.from(part.body, 'latin1').subarray(0, 2).toString('latin1')).toBe('II');
    expect((await file(scene, { range: 'bytes=999999999999-' })).status).toBe(416);
    expect((await file(`${scene}/../../../../etc/passwd`)).status).toBe(403);
    expect((await file('/etc/passwd')).status).toBe(403);
    expect((await raw('/../../etc/passwd', { headers: { cookie: `mslens_token=${web.token}` } })).status).toBe(404);
  });

  test('a browser page without the token gets no app', async () => {
    const b = await openBrowser({ width: 800, height: 600 });
    try {
      const res = await b.page.goto(web.origin);
      expect(res?.status()).toBe(401);
      expect(await b.page.locator('body').innerText()).toMatch(/token/);
      expect(await b.page.locator('#app').count()).toBe(0);
    } finally {
      await b.close();
    }
  });
});
