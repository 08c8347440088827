/**
 * HTTP for STAC scenes: the item document and byte ranges of its COG assets. One client serves
 * a whole scene, so that the bound on requests in flight holds for all its assets together.
 * It times requests out, retries what may pass with exponential backoff (http-errors.ts says
 * what may), and keeps fetched ranges in a byte-budgeted cache: the tile grid reads each COG
 * block row several times, one strip of tiles after the other.
 */
import { setMaxListeners } from 'node:events';
import { MslensError, throwIfAborted } from '../../errors.ts';
import { ByteLru } from './byte-lru.ts';
import { makeLimiter, type Limiter } from './limiter.ts';
import { cancelled, networkError, statusError } from './http-errors.ts';
import { displayUrl } from './location.ts';

export interface HttpOptions {
  /** Requests in flight at once, all assets of the scene together. @default 8 (MSLENS_HTTP_CONNECTIONS) */
  concurrency?: number;
  /** Retries after a network error, a timeout, HTTP 429 or 5xx. @default 4 (MSLENS_HTTP_RETRIES) */
  retries?: number;
  /** Delay before the first retry, doubled for each further one (±25 % jitter). @default 500 */
  retryDelayMs?: number;
  /** One request, from sending it to its last byte. @default 60 s (MSLENS_HTTP_TIMEOUT, seconds) */
  timeoutMs?: number;
  /** Fetched ranges kept for later windows. @default 192 MiB (MSLENS_HTTP_CACHE_MB) */
  cacheBytes?: number;
  /** A file whose server ignores Range is taken whole up to this size, refused above it. @default 16 MiB */
  wholeFileLimit?: number;
}

const MiB = 1 << 20;

function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new MslensError('BAD_ARGUMENT', `${name} must be a number ≥ 0, not "${v}".`, { name });
  return n;
}

/** Options from the environment, over the defaults; explicit options win over both. */
function resolveHttpOptions(opts: HttpOptions = {}, env: NodeJS.ProcessEnv = process.env): Required<HttpOptions> {
  const timeout = envNumber(env, 'MSLENS_HTTP_TIMEOUT');
  const cacheMb = envNumber(env, 'MSLENS_HTTP_CACHE_MB');
  return {
    concurrency: Math.max(1, Math.floor(opts.concurrency ?? envNumber(env, 'MSLENS_HTTP_CONNECTIONS') ?? 8)),
    retries: Math.max(0, Math.floor(opts.retries ?? envNumber(env, 'MSLENS_HTTP_RETRIES') ?? 4)),
    retryDelayMs: opts.retryDelayMs ?? 500,
    timeoutMs: opts.timeoutMs ?? (timeout !== undefined ? timeout * 1000 : 60_000),
    cacheBytes: opts.cacheBytes ?? (cacheMb !== undefined ? cacheMb * MiB : 192 * MiB),
    wholeFileLimit: opts.wholeFileLimit ?? 16 * MiB,
  };
}

export interface RangeResult {
  data: ArrayBuffer;
  /** The server ignored Range and sent the whole (small) file: `data` is all of it. */
  whole: boolean;
}

type Attempt<T> = { ok: T } | { retry: true; retryAfterMs?: number; final: MslensError };

class Timeout extends Error {}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const onAbort = (): void => { clearTimeout(t); reject(cancelled()); };
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function retryAfterMs(res: Response): number | undefined {
  const v = res.headers.get('retry-after');
  if (!v) return undefined;
  const s = Number(v);
  const ms = Number.isFinite(s) ? s * 1000 : Date.parse(v) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 30_000) : undefined;
}

const mb = (n: number): string => (n >= MiB ? `${(n / MiB).toFixed(n >= 10 * MiB ? 0 : 1)} MB` : `${Math.max(1, Math.round(n / 1024))} kB`);

/** Reads a body of at most `cap` bytes; null (and the rest left unread) when it is longer. */
async function readCapped(res: Response, cap: number): Promise<ArrayBuffer | null> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > cap) {
    await res.body?.cancel().catch(() => {});
    return null;
  }
  if (!res.body) return new ArrayBuffer(0);
  const chunks: Uint8Array[] = [];
  let n = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > cap) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.byteLength; }
  return out.buffer;
}

interface Shared {
  promise: Promise<RangeResult>;
  waiters: number;
  ac: AbortController;
}

export class HttpClient {
  readonly options: Required<HttpOptions>;
  private readonly limiter: Limiter;
  private readonly cache: ByteLru;
  private readonly pending = new Map<string, Shared>();

  constructor(opts: HttpOptions = {}) {
    this.options = resolveHttpOptions(opts);
    this.limiter = makeLimiter(this.options.concurrency);
    this.cache = new ByteLru(this.options.cacheBytes);
  }

  /** A small document (the STAC item) as text. `what` names it in messages ("the STAC item"). */
  getText(url: string, what: string, signal?: AbortSignal): Promise<string> {
    return this.request(url, { accept: 'application/geo+json, application/json;q=0.9, */*;q=0.1' }, what, signal, async (res) => {
      const body = await readCapped(res, 32 * MiB);
      if (!body) throw new MslensError('SCENE_UNREADABLE', `${displayUrl(url)} is larger than 32 MB: that is not a STAC item. Give the URL of one item (a GeoJSON Feature).`, { url: displayUrl(url) });
      return new TextDecoder().decode(body);
    });
  }

  /** Bytes [offset, offset + length) of a file; fewer at its end. */
  getRange(url: string, offset: number, length: number, what: string, signal?: AbortSignal): Promise<RangeResult> {
    const end = offset + length - 1;
    return this.request(url, { range: `bytes=${offset}-${end}`, 'accept-encoding': 'identity' }, what, signal, async (res) => {
      if (res.status === 416) {
        await res.body?.cancel().catch(() => {});
        return { data: new ArrayBuffer(0), whole: false };
      }
      if (res.status === 206) {
        const start = /bytes\s+(\d+)-/i.exec(res.headers.get('content-range') ?? '');
        if (start && Number(start[1]) !== offset) {
          await res.body?.cancel().catch(() => {});
          throw new MslensError('DOWNLOAD_FAILED', `${displayUrl(url)} answered a range request for bytes ${offset}–${end} with bytes from ${start[1]} on. mslens reads COG assets with HTTP range requests; this server does not serve them correctly.`, { url: displayUrl(url) });
        }
        return { data: await res.arrayBuffer(), whole: false };
      }
      // 200: the server ignored Range and sends the whole file.
      const limit = this.options.wholeFileLimit;
      const body = await readCapped(res, limit);
      if (body) return { data: body, whole: true };
      const declared = Number(res.headers.get('content-length') ?? NaN);
      throw new MslensError(
        'DOWNLOAD_FAILED',
        `${displayUrl(url)} ignores HTTP range requests: asked for bytes ${offset}–${end}, it answered HTTP 200 with the whole file (${Number.isFinite(declared) ? mb(declared) : `more than ${mb(limit)}`}). mslens reads COG assets part by part with range requests: serve the files from a server that supports them (object storage such as S3 or Azure Blob, nginx), or download the band files and open their folder.`,
        { url: displayUrl(url), ...(Number.isFinite(declared) ? { size: declared } : {}) },
      );
    });
  }

  /**
   * getRange through the cache; concurrent asks for one range share one request, which is
   * cancelled only when every asker has given up. Each asker gets its own copy of the bytes
   * (decoders may work in place).
   */
  async getRangeCached(url: string, offset: number, length: number, what: string, signal?: AbortSignal): Promise<RangeResult> {
    const key = `${offset}+${length} ${url}`;
    const hit = this.cache.get(key);
    if (hit) return { data: hit.slice(0), whole: false };
    let shared = this.pending.get(key);
    if (!shared) {
      const ac = new AbortController();
      const promise = this.getRange(url, offset, length, what, ac.signal).then((r) => {
        if (!r.whole) this.cache.set(key, r.data);
        return r;
      }).finally(() => this.pending.delete(key));
      promise.catch(() => {});
      shared = { promise, waiters: 0, ac };
      this.pending.set(key, shared);
    }
    const r = await this.wait(shared, signal);
    return { data: r.data.slice(0), whole: r.whole };
  }

  private wait(shared: Shared, signal?: AbortSignal): Promise<RangeResult> {
    shared.waiters++;
    if (!signal) return shared.promise;
    manyListeners(signal);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (--shared.waiters === 0) shared.ac.abort();
        reject(cancelled());
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      shared.promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** One request with the limiter, the timeout and the retries. */
  private async request<T>(url: string, headers: Record<string, string>, what: string, signal: AbortSignal | undefined, handle: (res: Response) => Promise<T>): Promise<T> {
    const { retries, retryDelayMs } = this.options;
    if (signal) manyListeners(signal);
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(signal);
      let outcome: Attempt<T>;
      try {
        outcome = await this.limiter.run(() => this.attempt(url, headers, what, signal, handle, attempt + 1), signal);
      } catch (err) {
        throwIfAborted(signal);
        throw err;
      }
      if ('ok' in outcome) return outcome.ok;
      if (attempt >= retries) throw outcome.final;
      const backoff = Math.min(10_000, retryDelayMs * 2 ** attempt) * (0.75 + Math.random() * 0.5);
      await sleep(Math.max(backoff, outcome.retryAfterMs ?? 0), signal);
    }
  }

  private async attempt<T>(url: string, headers: Record<string, string>, what: string, signal: AbortSignal | undefined, handle: (res: Response) => Promise<T>, attempts: number): Promise<Attempt<T>> {
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ac.abort(new Timeout()), this.options.timeoutMs);
    const networkFailure = (err: unknown): Attempt<T> => {
      throwIfAborted(signal);
      const timedOut = ac.signal.reason instanceof Timeout;
      const { error, retry } = networkError(url, timedOut ? { timeoutMs: this.options.timeoutMs } : err, attempts);
      if (!retry) throw error;
      return { retry: true, final: error };
    };
    try {
      let res: Response;
      try {
        res = await fetch(url, { headers, signal: ac.signal, redirect: 'follow' });
      } catch (err) {
        return networkFailure(err);
      }
      if (res.status === 429 || res.status >= 500) {
        await res.body?.cancel().catch(() => {});
        return { retry: true, retryAfterMs: retryAfterMs(res), final: statusError(url, what, res, attempts) };
      }
      if (res.status >= 400) {
        await res.body?.cancel().catch(() => {});
        throw statusError(url, what, res, attempts);
      }
      try {
        return { ok: await handle(res) };
      } catch (err) {
        if (err instanceof MslensError) throw err;
        return networkFailure(err);
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * Every block read of a strip listens on the caller's signal at the same time (dozens of them,
 * each removed when its read ends): by design, not the leak Node's default limit of 10 warns of.
 */
function manyListeners(signal: AbortSignal): void {
  setMaxListeners(0, signal);
}
