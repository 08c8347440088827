/**
 * Files the renderer may read by URL (so OpenLayers can stream a scene with byte ranges): only
 * those the user opened. Both fronts use it: the web server for `GET /file?path=…` and Electron's
 * `app://` protocol for the same URL.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * Parses a single-range `Range: bytes=a-b` header (also `a-` and `-n`). Returns null when there
 * is no usable header (serve the whole file) and 'unsatisfiable' for a range outside the file.
 */
export function parseRange(header: string | null | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // multi-range or malformed: whole file
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export interface FileResponse {
  status: 200 | 206 | 403 | 404 | 416;
  headers: Record<string, string>;
  /** The bytes to send (absent for errors and HEAD). */
  body?: ReadStream;
  /** A one-line reason for error statuses. */
  message?: string;
}

export class ServedFiles {
  readonly #allowed = new Set<string>();

  /** Lets the renderer read `path` (its real path, so links cannot widen the list). */
  async allow(path: string): Promise<void> {
    this.#allowed.add(await realpath(resolve(path)).catch(() => resolve(path)));
  }

  async isAllowed(path: string): Promise<boolean> {
    if (!path) return false;
    const real = await realpath(resolve(path)).catch(() => null);
    return real !== null && this.#allowed.has(real);
  }

  /** Serves `path` (or the asked range of it) if the user opened it. */
  async respond(path: string, rangeHeader: string | null | undefined, opts: { head?: boolean } = {}): Promise<FileResponse> {
    if (!(await this.isAllowed(path))) return { status: 403, headers: {}, message: 'mslens serves only files you opened in it.' };
    const st = await stat(path).catch(() => null);
    if (!st?.isFile()) return { status: 404, headers: {}, message: 'The file is gone.' };
    const base = { 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store', 'Last-Modified': st.mtime.toUTCString() };
    const range = parseRange(rangeHeader, st.size);
    if (range === 'unsatisfiable') return { status: 416, headers: { ...base, 'Content-Range': `bytes */${st.size}` }, message: 'The range is outside the file.' };
    const { start, end } = range ?? { start: 0, end: st.size - 1 };
    const headers: Record<string, string> = { ...base, 'Content-Length': String(end - start + 1) };
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
    const body = opts.head || st.size === 0 ? undefined : createReadStream(path, { start, end });
    return { status: range ? 206 : 200, headers, body };
  }
}
