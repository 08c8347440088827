/**
 * Resumable downloads: bytes go to `<dest>.part`; after a dropped connection the next attempt
 * asks for the rest with a Range request (If-Range on the validator, so a changed file starts
 * over), and the finished file must match its sha256 before it is renamed into place.
 * A host that can't be reached at all (its name doesn't resolve, or nothing listens) fails at
 * once: retrying a missing network only makes the user wait.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { MslensError, isAbortError } from '../errors.ts';

export interface DownloadOptions {
  url: string;
  dest: string;
  /** Pinned hash; otherwise the server's declared sha256 (X-Linked-Etag / a 64-hex ETag) is used. */
  sha256?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Attempts after a dropped connection. @default 5 */
  retries?: number;
  /** Delay before retry n is `backoffMs · 2ⁿ`. @default 500 */
  backoffMs?: number;
}

export interface Downloaded {
  path: string;
  sha256: string;
  bytes: number;
  resumed: boolean;
}

interface PartState { url: string; validator: string | null; sha256: string | null; total: number | null }

const HEX64 = /^[0-9a-f]{64}$/;

function declaredSha(h: Headers): string | null {
  for (const name of ['x-linked-etag', 'etag']) {
    const v = h.get(name)?.replace(/^W\//, '').replaceAll('"', '').toLowerCase();
    if (v && HEX64.test(v)) return v;
  }
  return null;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Connection errors that mean the host can't be reached from here, as opposed to a dropped transfer. */
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN']);

function causeOf(err: unknown): { code?: string; message: string } {
  const cause = (err as { cause?: unknown }).cause;
  const e = (cause instanceof Error ? cause : err) as Error & { code?: string; errors?: (Error & { code?: string })[] };
  return { code: e.code ?? e.errors?.find((x) => x.code)?.code, message: e.message || e.errors?.[0]?.message || String(e) };
}

/** The error for a host that can't be reached: says so plainly and gives the address to fetch by hand. */
export function unreachableError(url: string, code: string): MslensError {
  const host = new URL(url).host;
  const why = code === 'ECONNREFUSED' ? 'the connection was refused' : code === 'ENOTFOUND' || code.startsWith('EAI_') ? 'its name does not resolve' : 'there is no route to it';
  return new MslensError('DOWNLOAD_FAILED', `${host} can't be reached from this computer (${why}). Download ${url} by hand, then install the downloaded file.`, { url, host, reason: 'unreachable', cause: code });
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((res, rej) => {
  const t = setTimeout(res, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); rej(new MslensError('CANCELLED', 'The download was cancelled.')); }, { once: true });
});

export async function download(opts: DownloadOptions): Promise<Downloaded> {
  const part = `${opts.dest}.part`;
  const statePath = `${part}.json`;
  await mkdir(dirname(opts.dest), { recursive: true });
  let state: PartState | null = await readFile(statePath, 'utf8').then((s) => JSON.parse(s) as PartState, () => null);
  if (state && state.url !== opts.url) state = null;
  let resumed = false;
  let lastError = '';
  const retries = opts.retries ?? 5;

  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep((opts.backoffMs ?? 500) * 2 ** (attempt - 1), opts.signal);
    const have = state ? await stat(part).then((s) => s.size, () => 0) : 0;
    const headers: Record<string, string> = {};
    if (have > 0 && state) {
      headers.Range = `bytes=${have}-`;
      if (state.validator) headers['If-Range'] = state.validator;
    }
    let res: Response;
    try {
      res = await fetch(opts.url, { headers, signal: opts.signal, redirect: 'follow' });
    } catch (err) {
      if (opts.signal?.aborted || isAbortError(err)) throw new MslensError('CANCELLED', 'The download was cancelled.');
      const cause = causeOf(err);
      if (cause.code && UNREACHABLE.has(cause.code)) throw unreachableError(opts.url, cause.code);
      lastError = cause.message;
      continue;
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      if (res.status >= 500 || res.status === 429) { lastError = `HTTP ${res.status}`; continue; }
      throw new MslensError('DOWNLOAD_FAILED', `Downloading ${basename(opts.dest)} failed: the server answered HTTP ${res.status} for ${opts.url}. Check the address.`, { url: opts.url, status: res.status }, { action: { kind: 'install-from-file', url: opts.url } });
    }
    const append = res.status === 206 && have > 0;
    resumed ||= append;
    const length = Number(res.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(length) ? (append ? have + length : length) : null;
    state = { url: opts.url, validator: res.headers.get('etag') ?? res.headers.get('last-modified'), sha256: declaredSha(res.headers) ?? state?.sha256 ?? null, total };
    await writeFile(statePath, JSON.stringify(state));
    const fh = await open(part, append ? 'a' : 'w');
    let done = append ? have : 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        await fh.write(chunk);
        done += chunk.byteLength;
        opts.onProgress?.(done, total ?? 0);
      }
    } catch (err) {
      if (opts.signal?.aborted) throw new MslensError('CANCELLED', 'The download was cancelled; it resumes where it stopped next time.');
      lastError = (err as Error).message;
      continue;
    } finally {
      await fh.close();
    }
    if (total !== null && done < total) { lastError = `the connection closed after ${done} of ${total} bytes`; continue; }

    const expected = opts.sha256 ?? state.sha256;
    const actual = await sha256Of(part);
    if (expected && actual !== expected) {
      await rm(part, { force: true });
      await rm(statePath, { force: true });
      throw new MslensError('DOWNLOAD_FAILED', `${basename(opts.dest)} arrived damaged: its sha256 is ${actual}, not ${expected}. The partial file was removed; try again.`, { url: opts.url, expected, actual });
    }
    await rename(part, opts.dest);
    await rm(statePath, { force: true });
    return { path: opts.dest, sha256: actual, bytes: done, resumed };
  }
  const kept = await stat(part).then((s) => s.size, () => 0);
  const next = kept > 0 ? `${kept} bytes arrived and are kept; the next attempt resumes. Or download ${opts.url} by hand and install the downloaded file.` : `Nothing arrived. Try again later, or download ${opts.url} by hand and install the downloaded file.`;
  throw new MslensError('DOWNLOAD_FAILED', `Downloading ${basename(opts.dest)} from ${new URL(opts.url).host} failed after ${retries + 1} attempts (${lastError}). ${next}`, { url: opts.url, host: new URL(opts.url).host, kept });
}
