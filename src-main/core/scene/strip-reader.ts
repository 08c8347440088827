/**
 * Reads a scene as a sequence of windows (the strips of a tile grid), in order, with decoding
 * spread over a pool of worker threads, one per core: each worker opens the scene itself and
 * decodes whole windows (inflate, JPEG 2000, resampling of 20/60 m bands), so decoding runs
 * in parallel with itself and with inference in the calling thread.
 *
 * Memory is bounded by the buffer sets: `ahead` strips are in flight or waiting, each one set of
 * Float32Array planes (bands × window) that travels to a worker and back without copying and is
 * reused once the consumer releases it. With workers: 0 the strips are read in this thread,
 * one strip ahead.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { MslensError, throwIfAborted, type WireError } from '../errors.ts';
import { spawnWorker } from '../worker-spawn.ts';
import { openScene } from './open-scene.ts';
import type { FromStripWorker, ToStripWorker } from './strip-protocol.ts';
import type { BandName, BandSource, PixelWindow } from './types.ts';

export interface Strip {
  /** Position in the list of windows. */
  index: number;
  window: PixelWindow;
  /** One plane per band, window.width × window.height, valid until the strip is released. */
  planes: Float32Array[];
}

export interface StripReader {
  /** The next strip in order, or null after the last. */
  next(): Promise<Strip | null>;
  /** Gives the strip's buffers back for the strips still to come. */
  release(strip: Strip): void;
  close(): Promise<void>;
}

export interface StripReaderOptions {
  /** Decode workers. @default one per core (0: read in the calling thread) */
  workers?: number;
  /** Strips decoded ahead of the consumer. @default workers + 1 */
  ahead?: number;
  signal?: AbortSignal;
}

/** Decode workers for a scene read in `strips` windows: no more workers than strips, none for one strip. */
export function defaultDecodeWorkers(strips: number): number {
  return strips < 2 ? 0 : Math.min(availableParallelism(), strips);
}

export async function openStripReader(scenePath: string, windows: readonly PixelWindow[], bands: readonly BandName[], opts: StripReaderOptions = {}): Promise<StripReader> {
  const workers = opts.workers ?? defaultDecodeWorkers(windows.length);
  if (workers <= 0) return localStripReader(await openScene(scenePath, opts.signal), windows, bands, opts.signal);
  return pooledStripReader(scenePath, windows, bands, workers, Math.max(1, opts.ahead ?? workers + 1), opts.signal);
}

function planeLength(windows: readonly PixelWindow[]): number {
  return windows.reduce((m, w) => Math.max(m, w.width * w.height), 0);
}

function localStripReader(source: BandSource, windows: readonly PixelWindow[], bands: readonly BandName[], signal?: AbortSignal): StripReader {
  const len = planeLength(windows);
  const free: Float32Array[][] = [];
  const take = (): Float32Array[] => free.pop() ?? bands.map(() => new Float32Array(len));
  const read = (i: number): Promise<Strip> | null => {
    if (i >= windows.length) return null;
    const planes = take();
    const window = windows[i];
    return source.readWindow(window, bands, signal, planes).then((got) => ({ index: i, window, planes: got }));
  };
  let pending = read(0);
  let nextIndex = 1;
  return {
    async next() {
      throwIfAborted(signal);
      if (!pending) return null;
      const strip = await pending;
      pending = read(nextIndex++);
      // Keep the prefetch from rejecting unobserved if the consumer stops here.
      pending?.catch(() => {});
      return strip;
    },
    release(strip) {
      const n = strip.window.width * strip.window.height;
      free.push(strip.planes.map((p) => (p.length === n && p.buffer.byteLength >= len * 4 ? new Float32Array(p.buffer, 0, len) : new Float32Array(len))));
    },
    async close() {
      await pending?.catch(() => {});
      await source.close();
    },
  };
}

interface PoolWorker {
  worker: Worker;
  busy: boolean;
}

function pooledStripReader(scenePath: string, windows: readonly PixelWindow[], bands: readonly BandName[], workerCount: number, ahead: number, signal?: AbortSignal): StripReader {
  const len = planeLength(windows);
  const sets: ArrayBuffer[][] = Array.from({ length: ahead }, () => bands.map(() => new ArrayBuffer(len * 4)));
  const done = new Map<number, ArrayBuffer[]>();
  const waiting = new Map<number, (strip: Strip) => void>();
  let failure: MslensError | null = null;
  let failed: ((err: MslensError) => void)[] = [];
  let dispatched = 0;
  let consumed = 0;
  let closed = false;

  const fail = (err: MslensError): void => {
    if (failure) return;
    failure = err;
    for (const f of failed) f(err);
    failed = [];
  };
  const pool: PoolWorker[] = Array.from({ length: Math.min(workerCount, windows.length) }, () => {
    const worker = spawnWorker(new URL('./strip-worker.ts', import.meta.url));
    const w: PoolWorker = { worker, busy: true };
    worker.on('message', (msg: FromStripWorker) => {
      if (msg.type === 'opened') { w.busy = false; pump(); return; }
      if (msg.type === 'failed') { fail(wireError(msg.error)); return; }
      w.busy = false;
      const resolveStrip = waiting.get(msg.id);
      if (resolveStrip) {
        waiting.delete(msg.id);
        resolveStrip(toStrip(msg.id, msg.buffers));
      } else done.set(msg.id, msg.buffers);
      pump();
    });
    worker.on('error', (err) => fail(new MslensError('INTERNAL', `A decode worker crashed: ${err.message}`, {}, { cause: err })));
    worker.on('exit', (code) => { if (!closed) fail(new MslensError('INTERNAL', `A decode worker stopped unexpectedly (exit code ${code}).`)); });
    worker.postMessage({ type: 'open', scenePath } satisfies ToStripWorker);
    return w;
  });

  const toStrip = (index: number, buffers: ArrayBuffer[]): Strip => {
    const window = windows[index];
    const n = window.width * window.height;
    return { index, window, planes: buffers.map((b) => new Float32Array(b, 0, n)) };
  };

  function pump(): void {
    while (!failure && !closed && dispatched < windows.length && sets.length) {
      const w = pool.find((p) => !p.busy);
      if (!w) return;
      const buffers = sets.pop()!;
      w.busy = true;
      const id = dispatched++;
      w.worker.postMessage({ type: 'read', id, window: windows[id], bands: [...bands], buffers } satisfies ToStripWorker, buffers);
    }
  }

  const onAbort = (): void => fail(new MslensError('CANCELLED', 'Reading the scene was cancelled.'));
  signal?.addEventListener('abort', onAbort, { once: true });

  return {
    next() {
      if (failure) return Promise.reject(failure);
      if (consumed >= windows.length) return Promise.resolve(null);
      const id = consumed++;
      const ready = done.get(id);
      if (ready) {
        done.delete(id);
        return Promise.resolve(toStrip(id, ready));
      }
      return new Promise<Strip>((resolveStrip, reject) => {
        waiting.set(id, resolveStrip);
        failed.push(reject);
        pump();
      });
    },
    release(strip) {
      sets.push(strip.planes.map((p) => p.buffer as ArrayBuffer));
      pump();
    },
    async close() {
      closed = true;
      signal?.removeEventListener('abort', onAbort);
      await Promise.all(pool.map((p) => p.worker.terminate()));
    },
  };
}

function wireError(e: WireError): MslensError {
  return new MslensError(e.code, e.message, e.detail);
}
