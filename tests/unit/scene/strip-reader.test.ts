// The strip reader: the same planes as direct window reads, in order, with or without the decode
// pool, buffers reused; clear failures and cancel.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openScene } from '../../../src-main/core/scene/open-scene.ts';
import { openStripReader, shareBands, type Strip } from '../../../src-main/core/scene/strip-reader.ts';
import type { BandName, PixelWindow } from '../../../src-main/core/scene/types.ts';
import { makeBandFiles } from '../../fixtures/make-band-files.ts';
import { demoScene } from '../../helpers/harness.ts';
import { fixture } from '../../helpers/fixtures.ts';

let dir: string;
let demo: string;
let folder: string;
const BANDS: BandName[] = ['B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B11', 'B12'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mslens-strips-'));
  demo = (await demoScene(2240)).scenePath;
  folder = makeBandFiles(fixture('msclip-examples', '282D_485L_3_3.tif'), dir).safe;
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const sameBytes = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function strips(width: number, height: number, rows: number): PixelWindow[] {
  const h = Math.floor(height / rows);
  return Array.from({ length: rows }, (_, i) => ({ x: 0, y: i * h, width, height: i === rows - 1 ? height - i * h : h }));
}

async function direct(path: string, windows: PixelWindow[]): Promise<Float32Array[][]> {
  const s = await openScene(path);
  try {
    const out: Float32Array[][] = [];
    for (const w of windows) out.push((await s.readWindow(w, BANDS)).map((p) => p.slice()));
    return out;
  } finally {
    await s.close();
  }
}

async function drain(path: string, windows: PixelWindow[], workers: number, ahead?: number): Promise<{ planes: Float32Array[][]; order: number[]; buffers: Set<ArrayBufferLike>; workers: number }> {
  const reader = await openStripReader(path, windows, BANDS, { workers, ahead });
  const planes: Float32Array[][] = [];
  const order: number[] = [];
  const buffers = new Set<ArrayBufferLike>();
  try {
    let s: Strip | null;
    while ((s = await reader.next())) {
      order.push(s.index);
      expect(s.planes[0].length).toBe(s.window.width * s.window.height);
      planes.push(s.planes.map((p) => p.slice()));
      s.planes.forEach((p) => buffers.add(p.buffer));
      reader.release(s);
    }
  } finally {
    await reader.close();
  }
  return { planes, order, buffers, workers: reader.workers };
}

describe('strip reader', () => {
  test('bands are shared out by decode cost', () => {
    // 4 bands at 10 m (cost 1), 6 at 20 m (0.25): two even groups of 2.75.
    const costs = [1, 1, 1, 0.25, 0.25, 0.25, 1, 0.25, 0.25, 0.25];
    const groups = shareBands(costs, 2);
    expect(groups.flat().sort((a, b) => a - b)).toEqual([...costs.keys()]);
    expect(groups.map((g) => g.reduce((s, i) => s + costs[i], 0))).toEqual([2.75, 2.75]);
    expect(shareBands([1, 1], 8)).toEqual([[0], [1]]);
  });

  test('the decode pool gives the planes of direct reads, in order, on a stack and a band folder', async () => {
    for (const [path, size] of [[demo, 2240], [folder, 224]] as const) {
      const windows = strips(size, size, 7);
      const want = await direct(path, windows);
      for (const workers of [0, 2]) {
        const got = await drain(path, windows, workers, 2);
        // The stack is read in this thread whatever is asked; the folder's bands are shared out.
        expect(got.workers).toBe(path === folder ? workers : 0);
        expect(got.order).toEqual([0, 1, 2, 3, 4, 5, 6]);
        expect(got.planes.length).toBe(want.length);
        got.planes.forEach((strip, i) => strip.forEach((plane, b) => expect(sameBytes(plane, want[i][b]), `strip ${i} band ${BANDS[b]}`).toBe(true)));
        // In this thread, buffers are reused: 7 strips through two sets of planes. (Buffers that
        // travel to a worker and back come back as new ArrayBuffer objects over the same memory.)
        if (workers === 0) expect(got.buffers.size).toBeLessThanOrEqual(2 * BANDS.length);
      }
    }
  }, 120_000);

  test('a source already open is read from in this thread and left open', async () => {
    const windows = strips(2240, 2240, 3);
    const source = await openScene(demo);
    try {
      const reader = await openStripReader(demo, windows, BANDS, { source });
      expect(reader.workers).toBe(0);
      const first = await reader.next();
      const want = await direct(demo, windows.slice(0, 1));
      first!.planes.forEach((p, b) => expect(sameBytes(p, want[0][b])).toBe(true));
      await reader.close();
      // Still open: the owner reads on and closes it.
      expect((await source.readWindow(windows[1], ['B02']))[0].length).toBe(windows[1].width * windows[1].height);
    } finally {
      await source.close();
    }
  }, 60_000);

  test('a scene that cannot be opened fails with its error', async () => {
    await expect(openStripReader(join(dir, 'missing.tif'), strips(224, 224, 4), BANDS, { workers: 2 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 60_000);

  test('a band the scene lacks fails the read with BANDS_MISSING', async () => {
    const reader = await openStripReader(folder, strips(224, 224, 2), ['B10'], { workers: 2 });
    await expect(reader.next()).rejects.toMatchObject({ code: 'BANDS_MISSING' });
    await reader.close();
  }, 60_000);

  test('abort stops the pool with CANCELLED', async () => {
    const ac = new AbortController();
    const reader = await openStripReader(folder, strips(224, 224, 10), BANDS, { workers: 2, signal: ac.signal });
    expect(reader.workers).toBe(2);
    const first = await reader.next();
    expect(first?.index).toBe(0);
    ac.abort();
    await expect(reader.next()).rejects.toMatchObject({ code: 'CANCELLED' });
    await reader.close();
  }, 60_000);
});
