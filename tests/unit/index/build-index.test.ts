// Building indexes: progress, the cache (no inference the second time), cancel, atomic output.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readIndexFile } from '../../../src-main/core/index/index-store.ts';
import { demoScene, makeHarness, type Harness } from '../../helpers/harness.ts';

let h: Harness;
let scene: string;

beforeAll(async () => {
  h = await makeHarness();
  scene = (await demoScene(2240)).scenePath;
});
afterAll(() => h.cleanup());

describe('buildIndex', () => {
  test('cancel stops the job and leaves no file', async () => {
    const controller = new AbortController();
    const pending = h.call('buildIndex', { scene, stride: 112 }, controller.signal);
    const started = Date.now();
    while (!h.events.some((e) => e.op === 'buildIndex' && e.done > 0) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    const r = await pending;
    expect(!r.ok && r.error.code).toBe('CANCELLED');
    const files = await readdir(join(h.home, 'indexes')).catch(() => []);
    expect(files).toEqual([]);
  });

  test('reports progress, writes GeoParquet with footprints, and skips nodata tiles', async () => {
    h.events.length = 0;
    const r = await h.ok('buildIndex', { scene });
    expect(r.cached).toBe(false);
    expect(r.tilesTotal).toBe(100);
    expect(r.tilesIndexed + r.tilesSkipped).toBe(100);
    expect(r.tilesSkipped).toBeGreaterThanOrEqual(1);
    const embedding = h.events.filter((e) => e.message === 'Embedding tiles');
    expect(embedding.length).toBeGreaterThan(2);
    expect(embedding.map((e) => e.done)).toEqual([...embedding.map((e) => e.done)].sort((a, b) => a - b));
    expect(embedding.at(-1)!.tilesPerSecond).toBeGreaterThan(0);
    expect(embedding.at(-1)!.provider).toBe('cpu');
    const { meta, tiles } = await readIndexFile(r.path);
    expect(meta.sceneCrs.epsg).toBe(32633);
    expect(tiles.tileId).toHaveLength(r.tilesIndexed);
    // Unit-norm embeddings, and lon/lat rings in central Europe.
    for (let i = 0; i < tiles.tileId.length; i++) {
      let s = 0;
      for (let d = 0; d < 8; d++) s += tiles.embeddings[i * 8 + d] ** 2;
      expect(Math.sqrt(s)).toBeCloseTo(1, 5);
    }
    expect(tiles.footprint[0]).toBeGreaterThan(13);
    expect(tiles.footprint[1]).toBeGreaterThan(48);
  });

  test('building again returns the cached index without running inference', async () => {
    const first = await h.ok('buildIndex', { scene });
    const before = (await stat(first.path)).mtimeMs;
    h.events.length = 0;
    const again = await h.ok('buildIndex', { scene });
    expect(again.cached).toBe(true);
    expect(again.path).toBe(first.path);
    expect((await stat(again.path)).mtimeMs).toBe(before);
    expect(h.events.some((e) => e.message === 'Embedding tiles')).toBe(false);
  });

  test('another tiling is another index; --out writes a copy', async () => {
    const out = join(h.home, 'exports', 'demo-448.parquet');
    const r = await h.ok('buildIndex', { scene, tile: 448, out });
    expect(r.path).toBe(out);
    expect(r.tilesTotal).toBe(25);
    expect((await readIndexFile(out)).meta.tiling).toEqual({ size: 448, stride: 448 });
  });
});
