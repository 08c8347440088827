/**
 * The `app://mslens/` protocol: the renderer's files (so the page has a real origin and a strict
 * CSP), and `app://mslens/file?path=…`, scenes the user opened, with byte ranges for OpenLayers.
 * The same URLs as web mode, so the renderer does not care which front it runs in.
 */
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { net, protocol } from 'electron';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RENDERER_CSP, type ServedFiles } from '../core/app/index.ts';

export const APP_SCHEME = 'app';
export const APP_ORIGIN = 'app://mslens';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true, corsEnabled: true } },
  ]);
}

export interface AppProtocolOptions {
  /** The dev server's origin (electron-vite dev), which reads scenes across origins. */
  devOrigin?: string;
}

export function handleAppProtocol(rendererDir: string, files: ServedFiles, opts: AppProtocolOptions = {}): void {
  const cors: Record<string, string> = opts.devOrigin
    ? { 'Access-Control-Allow-Origin': opts.devOrigin, 'Access-Control-Expose-Headers': 'Content-Range, Content-Length, Accept-Ranges' }
    : {};
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'mslens') return new Response('Not found', { status: 404 });
    if (url.pathname === '/file') {
      if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Only GET here.', { status: 405 });
      const r = await files.respond(url.searchParams.get('path') ?? '', request.headers.get('range'), { head: request.method === 'HEAD' });
      const body = r.body ? (Readable.toWeb(r.body) as ReadableStream<Uint8Array>) : (r.message ?? null);
      return new Response(body, { status: r.status, headers: { ...r.headers, ...cors } });
    }
    const rel = normalize(decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)).replace(/^([/\\])+/, '');
    const full = join(rendererDir, rel);
    if (rel.split(/[/\\]/).includes('..') || !full.startsWith(rendererDir.endsWith(sep) ? rendererDir : rendererDir + sep)) {
      return new Response('Not found', { status: 404 });
    }
    if (!(await stat(full).then((s) => s.isFile(), () => false))) return new Response('Not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(full).href);
    if (!full.endsWith('.html')) return res;
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', RENDERER_CSP);
    return new Response(res.body, { status: res.status, headers });
  });
}
