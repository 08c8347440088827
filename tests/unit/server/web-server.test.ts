// The web server in-process: every api.ts operation has a route, events stream with their job
// id, a closed request cancels its job, and the renderer's files are served with the CSP.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get as httpGet } from 'node:http';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { api } from '../../../src-main/core/api.ts';
import { createOpRunner } from '../../../src-main/core/app/index.ts';
import type { Handlers } from '../../../src-main/core/api.ts';
import { startWebServer, type WebServer } from '../../../src-main/server/web-server.ts';

let dir: string;
let server: WebServer;
let aborted: string | null = null;

// Fake handlers: the server is a loop over the api table, whatever the handlers do.
const handlers = new Proxy({}, {
  get: (_t, name: string) => async (arg: unknown, ctx: { emit?: (n: 'progress', p: unknown) => void; signal?: AbortSignal }) => {
    if (name === 'makeDemo') {
      ctx.emit?.('progress', { op: 'makeDemo', message: 'Writing', done: 1, total: 2 });
      await new Promise((res, rej) => {
        const t = setTimeout(res, 2000);
        ctx.signal?.addEventListener('abort', () => { clearTimeout(t); aborted = name; rej(Object.assign(new Error('aborted'), { name: 'AbortError' })); });
      });
    }
    return { op: name, arg };
  },
}) as Handlers;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mslens-server-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><html><head><title>x</title></head><body></body></html>');
  await writeFile(join(dir, 'assets', 'app.js'), 'console.log(1)');
  server = await startWebServer({ runner: createOpRunner(handlers), rendererDir: dir });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const post = (op: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(`http://127.0.0.1:${server.port}/api/${op}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mslens-token': server.token, ...headers }, body: JSON.stringify(body), signal });

describe('web server', () => {
  test('listens on 127.0.0.1 and prints a URL with a 256-bit token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(Buffer.from(server.token, 'base64url')).toHaveLength(32);
  });

  test.each(Object.keys(api))('POST /api/%s reaches its handler', async (op) => {
    const res = await post(op, op === 'makeDemo' ? {} : { probe: 1 });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as { ok: boolean; value: { op: string }; error: { code: string } };
    // Validation runs first: a bad argument is an error reply, a good one reaches the fake handler.
    expect(reply.ok ? reply.value.op : reply.error.code).toBe(reply.ok ? op : 'BAD_ARGUMENT');
  });

  test('unknown operations, wrong methods and content types are refused', async () => {
    expect((await post('nope', {})).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/api/listModels`, { headers: { 'x-mslens-token': server.token } })).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${server.port}/api/listModels`, { method: 'POST', headers: { 'x-mslens-token': server.token, 'content-type': 'text/plain' }, body: '{}' })).status).toBe(415);
    expect((await post('listModels', undefined, {})).status).toBe(200);
    const bad = await fetch(`http://127.0.0.1:${server.port}/api/listModels`, { method: 'POST', headers: { 'x-mslens-token': server.token, 'content-type': 'application/json' }, body: '{' });
    expect(bad.status).toBe(400);
  });

  test('progress streams as server-sent events, with the job id', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/api/events`, { headers: { cookie: `mslens_token=${server.token}` } });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const call = post('makeDemo', {}, { 'x-mslens-job': 'job-events-1' });
    let text = '';
    while (!text.includes('job-events-1')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/event: progress\ndata: \{"op":"makeDemo","message":"Writing","done":1,"total":2,"jobId":"job-events-1"\}/);
    await reader.cancel();
    expect(((await (await call).json()) as { ok: boolean }).ok).toBe(true);
  });

  test('closing the request cancels its job', async () => {
    const controller = new AbortController();
    const call = post('makeDemo', {}, { 'x-mslens-job': 'job-closed-1' }, controller.signal).catch(() => null);
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    await call;
    await expect.poll(() => aborted).toBe('makeDemo');
  });

  test('the renderer: index.html with the CSP and the token; assets; nothing outside', async () => {
    const cookie = { cookie: `mslens_token=${server.token}` };
    const page = await fetch(`http://127.0.0.1:${server.port}/`, { headers: cookie });
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await page.text()).toContain(`<meta name="mslens-token" content="${server.token}" />`);
    const js = await fetch(`http://127.0.0.1:${server.port}/assets/app.js`, { headers: cookie });
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`http://127.0.0.1:${server.port}/assets/%2e%2e/%2e%2e/etc/passwd`, { headers: cookie })).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/missing.js`, { headers: cookie })).status).toBe(404);
  });

  test('a malformed percent-encoding or cookie is a 400 (or a refusal), never a 500 with a trace', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const get = (path: string, headers: Record<string, string> = {}) => new Promise<number>((resolve, reject) => {
        httpGet({ host: '127.0.0.1', port: server.port, path, headers }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
      });
      const cookie = { cookie: `mslens_token=${server.token}` };
      expect(await get('/%E0%A4%A', cookie)).toBe(400);
      expect(await get('/%E0%A4%A')).toBe(400);
      expect(await get('/assets/%ZZ.js', cookie)).toBe(400);
      expect(await get('/', { cookie: 'mslens_token=%E0%A4%A' })).toBe(401);
      expect(logged).not.toHaveBeenCalled();
    } finally {
      logged.mockRestore();
    }
  });
});
