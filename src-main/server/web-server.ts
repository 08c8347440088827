/**
 * Web mode: api.ts over HTTP on 127.0.0.1 only. `POST /api/:name` runs an operation (a loop over
 * the api table), `GET /api/events` streams progress (server-sent events), `GET /file?path=` serves
 * a scene the user opened with byte ranges, and everything else is the built renderer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { api, type OpName } from '../core/api.ts';
import type { OpRunner } from '../core/app/index.ts';
import { CSP, readIndexHtml, readStatic } from './static-files.ts';
import { JOB_HEADER, TOKEN_COOKIE, checkRequest, newToken, sameToken } from './web-security.ts';

export interface WebServerOptions {
  runner: OpRunner;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default a new random token */
  token?: string;
  /** Largest request body, in bytes. @default 64 MiB */
  maxBody?: number;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  send(res, status, JSON.stringify({ ok: false, error: { code: status === 404 ? 'NOT_FOUND' : 'BAD_ARGUMENT', message, detail: {} } }), 'application/json');
}

async function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const { runner, rendererDir } = opts;
  const token = opts.token ?? newToken();
  const maxBody = opts.maxBody ?? 64 * 1024 * 1024;
  const ops = new Set<string>(Object.keys(api) as OpName[]);
  const streams = new Set<ServerResponse>();
  let port = 0;

  const unsubscribe = runner.subscribe((name, payload) => {
    const frame = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const s of streams) s.write(frame);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A request line that is not a URL, or a path with malformed percent-encoding (`/%E0%A4%A`),
    // is the client's mistake: 400, not a 500 and a trace in the log.
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      decodeURIComponent(url.pathname);
    } catch {
      return sendError(res, 400, 'The address is not valid (malformed percent-encoding).');
    }
    const method = req.method ?? 'GET';
    const isApi = url.pathname.startsWith('/api/') && url.pathname !== '/api/events';
    const verdict = checkRequest(req, { token, port, headerOnly: isApi, url });
    if (!verdict.ok) return sendError(res, verdict.status, verdict.message);

    if (isApi) {
      const name = url.pathname.slice('/api/'.length);
      if (method !== 'POST') return sendError(res, 405, 'Operations are called with POST.');
      if (!ops.has(name)) return sendError(res, 404, `mslens has no operation "${name.slice(0, 60)}".`);
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return sendError(res, 415, 'Send the argument as application/json.');
      const body = await readBody(req, maxBody);
      if (body === null) return sendError(res, 413, 'The request is too large.');
      let arg: unknown;
      try { arg = body ? JSON.parse(body) : {}; } catch { return sendError(res, 400, 'The argument is not valid JSON.'); }
      // A closed connection cancels the call (the tab went away).
      const closed = new AbortController();
      res.on('close', () => { if (!res.writableFinished) closed.abort(); });
      const jobId = req.headers[JOB_HEADER];
      const reply = await runner.run(name, arg, { jobId: typeof jobId === 'string' ? jobId : undefined, signal: closed.signal });
      return send(res, 200, JSON.stringify(reply), 'application/json');
    }

    if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, 'Only GET here.');

    if (url.pathname === '/api/events') {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write('retry: 2000\n\n');
      streams.add(res);
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      req.on('close', () => { clearInterval(ping); streams.delete(res); });
      return;
    }

    if (url.pathname === '/file') {
      const r = await runner.files.respond(url.searchParams.get('path') ?? '', req.headers.range, { head: method === 'HEAD' });
      if (!r.body) return send(res, r.status, r.message ?? '', 'text/plain; charset=utf-8', r.headers);
      res.writeHead(r.status, { ...SECURITY_HEADERS, ...r.headers });
      r.body.pipe(res);
      res.on('close', () => r.body?.destroy());
      return;
    }

    if (url.pathname === '/' || url.pathname === '/index.html') {
      // The printed URL carries the token once: trade it for a cookie and drop it from the address bar.
      if (sameToken(url.searchParams.get('token'), token)) {
        res.writeHead(303, { ...SECURITY_HEADERS, Location: '/', 'Set-Cookie': `${TOKEN_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict` });
        return void res.end();
      }
      const html = await readIndexHtml(rendererDir, token);
      if (html === null) return send(res, 500, 'The renderer is not built: run `npm run build`, then start mslens again.');
      return send(res, 200, html, 'text/html; charset=utf-8', { 'Content-Security-Policy': CSP });
    }

    const file = await readStatic(rendererDir, url.pathname);
    return send(res, file.status, file.body, file.type, file.type.startsWith('text/html') ? { 'Content-Security-Policy': CSP } : {});
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error(err);
      if (!res.headersSent) sendError(res, 500, 'Something went wrong inside mslens; details are in the log.');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe();
      runner.jobs.cancelAll();
      for (const s of streams) s.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
