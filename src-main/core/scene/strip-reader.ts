/**
 * Reads a scene as a sequence of windows (the strips of a tile grid), in order. A scene whose
 * bands live in separate files (band folders, SAFE, STAC) is decoded by a pool of worker
 * threads, one per core, that share out its *bands*: each worker opens the scene itself and
 * reads every strip of its own bands, so each worker walks its files top to bottom (every file
 * block decoded once, from the block cache) and JPEG 2000 / inflate / resampling run in
 * parallel with each other and with inference in the calling thread. A single-file stack is
 * read in the calling thread (its inflate already runs on libuv's thread pool; splitting its
 * interleaved blocks between workers would decode them twice).
 *
 * Memory is bounded by the buffer sets: `ahead` strips are in flight or waiting, each one set of
 * Float32Array planes (bands × window) reused once the consumer releases it. The pool's planes
 * are SharedArrayBuffers that the workers write into: transferring fresh ArrayBuffers to a
 * worker for every strip made V8 count each as new external memory and run a full garbage
 * collection per strip in every worker (a fifth of the pool's CPU time).
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { MslensError, throwIfAborted, fromWireError } from '../errors.ts';
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
  /** Decode workers in use (0: this thread). */
  readonly workers: number;
  /** The next strip in order, or null after the last. */
  next(): Promise<Strip | null>;
  /** Gives the strip's buffers back for the strips still to come. */
  release(strip: Strip): void;
  close(): Promise<void>;
}

export interface StripReaderOptions {
  /** Most decode workers. @default one per core (0: read in the calling thread) */
  workers?: number;
  /**
   * Strips a decode pool holds at once, the one the consumer has included. @default 1: the next
   * strip is decoded once the consumer releases the last. On 2 cores a second strip gained nothing
   * (indexing at 90 tiles/s from per-band COGs, 31 from JPEG 2000, either way) and cost a strip's
   * planes and block rows: 130–190 MB at the peak for COGs in 1024 px blocks, as Earth Search's.
   */
  ahead?: number;
  signal?: AbortSignal;
  /** The scene, already open in this thread: read from here and left open (its owner closes it). */
  source?: BandSource;
}

/**
 * Bands shared out between at most `workers` groups so that each group's decode cost is about
 * the same (largest first onto the lightest group).
 */
export function shareBands(costs: readonly number[], workers: number): number[][] {
  const groups = Array.from({ length: Math.min(workers, costs.length) }, () => ({ cost: 0, bands: [] as number[] }));
  [...costs.keys()].sort((a, b) => costs[b] - costs[a]).forEach((i) => {
    const g = groups.reduce((m, x) => (x.cost < m.cost ? x : m));
    g.cost += costs[i];
    g.bands.push(i);
  });
  return groups.filter((g) => g.bands.length).map((g) => g.bands.sort((a, b) => a - b));
}

export async function openStripReader(scenePath: string, windows: readonly PixelWindow[], bands: readonly BandName[], opts: StripReaderOptions = {}): Promise<StripReader> {
  const source = opts.source ?? (await openScene(scenePath, opts.signal));
  const owned = !opts.source;
  const workers = Math.min(opts.workers ?? availableParallelism(), bands.length);
  if (!source.bandCost || workers < 2 || windows.length < 2) return localStripReader(source, owned, windows, bands, opts.signal);
  const groups = shareBands(bands.map((b) => source.bandCost!(b)), workers);
  if (owned) await source.close();
  return pooledStripReader(scenePath, windows, bands, groups, Math.max(1, opts.ahead ?? 1), opts.signal);
}

function planeLength(windows: readonly PixelWindow[]): number {
  return windows.reduce((m, w) => Math.max(m, w.width * w.height), 0);
}

function localStripReader(source: BandSource, owned: boolean, windows: readonly PixelWindow[], bands: readonly BandName[], signal?: AbortSignal): StripReader {
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
    workers: 0,
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
      if (owned) await source.close();
    },
  };
}

interface Slot {
  buffers: SharedArrayBuffer[];
  /** Worker parts still to come back. */
  pending: number;
}

function pooledStripReader(scenePath: string, windows: readonly PixelWindow[], bands: readonly BandName[], groups: number[][], ahead: number, signal?: AbortSignal): StripReader {
  const len = planeLength(windows);
  const free: SharedArrayBuffer[][] = [];
  const slots = new Map<number, Slot>();
  const waiting = new Map<number, (strip: Strip) => void>();
  let failure: MslensError | null = null;
  let rejects: ((err: MslensError) => void)[] = [];
  let opened = 0;
  let dispatched = 0;
  let consumed = 0;
  let inFlight = 0;
  let closed = false;

  const fail = (err: MslensError): void => {
    if (failure) return;
    failure = err;
    for (const r of rejects) r(err);
    rejects = [];
  };
  const toStrip = (index: number, buffers: SharedArrayBuffer[]): Strip => {
    const window = windows[index];
    const n = window.width * window.height;
    return { index, window, planes: buffers.map((b) => new Float32Array(b, 0, n)) };
  };
  const ready = (id: number): Strip | null => {
    const slot = slots.get(id);
    if (!slot || slot.pending > 0) return null;
    slots.delete(id);
    return toStrip(id, slot.buffers);
  };

  const pool: Worker[] = groups.map((group) => {
    const worker = spawnWorker(new URL('./strip-worker.ts', import.meta.url));
    worker.on('message', (msg: FromStripWorker) => {
      if (msg.type === 'opened') { opened++; pump(); return; }
      if (msg.type === 'failed') { fail(fromWireError(msg.error)); return; }
      const slot = slots.get(msg.id)!;
      slot.pending--;
      const resolveStrip = waiting.get(msg.id);
      const strip = resolveStrip ? ready(msg.id) : null;
      if (resolveStrip && strip) {
        waiting.delete(msg.id);
        resolveStrip(strip);
      }
    });
    worker.on('error', (err) => fail(new MslensError('INTERNAL', `A decode worker crashed: ${err.message}`, {}, { cause: err })));
    worker.on('exit', (code) => { if (!closed) fail(new MslensError('INTERNAL', `A decode worker stopped unexpectedly (exit code ${code}).`)); });
    worker.postMessage({ type: 'open', scenePath } satisfies ToStripWorker);
    return worker;
  });

  function pump(): void {
    while (!failure && !closed && opened === pool.length && dispatched < windows.length && inFlight < ahead) {
      const id = dispatched++;
      inFlight++;
      const buffers = free.pop() ?? bands.map(() => new SharedArrayBuffer(len * 4));
      slots.set(id, { buffers, pending: groups.length });
      groups.forEach((group, g) => {
        pool[g].postMessage({ type: 'read', id, window: windows[id], bands: group.map((b) => bands[b]), buffers: group.map((b) => buffers[b]) } satisfies ToStripWorker);
      });
    }
  }

  const onAbort = (): void => fail(new MslensError('CANCELLED', 'Reading the scene was cancelled.'));
  signal?.addEventListener('abort', onAbort, { once: true });

  return {
    workers: pool.length,
    next() {
      if (failure) return Promise.reject(failure);
      if (consumed >= windows.length) return Promise.resolve(null);
      const id = consumed++;
      const strip = ready(id);
      if (strip) return Promise.resolve(strip);
      return new Promise<Strip>((resolveStrip, reject) => {
        waiting.set(id, resolveStrip);
        rejects.push(reject);
        pump();
      });
    },
    release(strip) {
      free.push(strip.planes.map((p) => p.buffer as SharedArrayBuffer));
      inFlight--;
      pump();
    },
    async close() {
      closed = true;
      signal?.removeEventListener('abort', onAbort);
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}

