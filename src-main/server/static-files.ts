/** The built renderer (out/renderer), served with a strict CSP; index.html learns the token. */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.wasm': 'application/wasm', '.woff2': 'font/woff2', '.map': 'application/json',
};

export { RENDERER_CSP as CSP } from '../core/app/index.ts';

export interface StaticFile {
  status: 200 | 404;
  type: string;
  body: Buffer | string;
}

/** Reads `urlPath` below `root`; never outside it. */
export async function readStatic(root: string, urlPath: string): Promise<StaticFile> {
  const rel = normalize(decodeURIComponent(urlPath)).replace(/^([/\\])+/, '');
  const full = join(root, rel);
  if (rel.split(/[/\\]/).includes('..') || !(full + sep).startsWith(root.endsWith(sep) ? root : root + sep)) {
    return { status: 404, type: TYPES['.html'], body: 'Not found' };
  }
  const st = await stat(full).catch(() => null);
  if (!st?.isFile()) return { status: 404, type: 'text/plain; charset=utf-8', body: 'Not found' };
  return { status: 200, type: TYPES[extname(full).toLowerCase()] ?? 'application/octet-stream', body: await readFile(full) };
}

/** index.html with the token in a meta tag, for the API client to send as a header. */
export async function readIndexHtml(root: string, token: string): Promise<string | null> {
  const html = await readFile(join(root, 'index.html'), 'utf8').catch(() => null);
  return html?.replace('<head>', `<head>\n    <meta name="mslens-token" content="${token}" />`) ?? null;
}
