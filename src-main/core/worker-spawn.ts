/**
 * Starts a worker thread from a module URL. In a bundled build the URL points at compiled
 * JavaScript. From source (tests, CLI) it is TypeScript: Node 20 cannot apply tsx's loader to a
 * worker's entry module, so a two-line bootstrap registers tsx and then imports the entry.
 * workerData is always an object: the web-worker polyfill that geotiff.js imports reads
 * `workerData.mod` in any worker thread and crashes when workerData is undefined.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MslensError } from './errors.ts';

const require = createRequire(import.meta.url);

export function spawnWorker(url: URL): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: {} });
  const tsxApi = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const code = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(url.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData: {} });
}

export interface WorkerJobOptions<M, T> {
  /** Names the worker in errors: "indexing worker". */
  name: string;
  /** The error a cancelled job ends with. */
  cancelled: () => MslensError;
  signal?: AbortSignal;
  /**
   * Settle only once the thread has stopped, so the caller may remove files the worker was
   * writing without racing it. @default false
   */
  waitForExit?: boolean;
  /** Handles each message of the worker; `done` and `fail` end the job. */
  onMessage: (msg: M, done: (value: T) => void, fail: (err: MslensError) => void) => void;
}

/**
 * Runs one job in a fresh worker: posts `start`, ends with what onMessage settles on, and
 * terminates the worker however the job ends. Cancel posts `{ type: 'cancel' }`; a worker stuck
 * in a long call is stopped 10 s later.
 */
export function runWorkerJob<M, T>(url: URL, start: unknown, opts: WorkerJobOptions<M, T>): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const { signal } = opts;
    if (signal?.aborted) return reject(opts.cancelled());
    const worker = spawnWorker(url);
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      const stopped = worker.terminate();
      if (opts.waitForExit) void stopped.then(fn, fn);
      else fn();
    };
    const fail = (err: MslensError): void => finish(() => reject(err));
    const onAbort = (): void => {
      worker.postMessage({ type: 'cancel' });
      killTimer = setTimeout(() => fail(opts.cancelled()), 10_000);
    };
    signal?.addEventListener('abort', onAbort);
    worker.on('message', (msg: M) => opts.onMessage(msg, (value) => finish(() => resolvePromise(value)), fail));
    worker.on('error', (err) => fail(new MslensError('INTERNAL', `The ${opts.name} crashed: ${err.message}`, {}, { cause: err })));
    worker.on('exit', (code) => fail(new MslensError('INTERNAL', `The ${opts.name} stopped unexpectedly (exit code ${code}).`)));
    worker.postMessage(start);
  });
}
