// Building indexes: progress, the cache (no inference the second time), cancel, atomic output.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fromFile } from 'geotiff';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readIndexFile } from '../../../src-main/core/index/index-store.ts';
import { DEMO_SCL, DEMO_STACK_BANDS } from '../../../src-main/core/scene/demo/demo-scene.ts';
import { DEMO_CLASS } from '../../../src-main/core/scene/demo/demo-spectra.ts';
import { demoScene, makeHarness, truthFractions, type Harness } from '../../helpers/harness.ts';

let h: Harness;
let scene: string;
let truthPath: string;

beforeAll(async () => {
  h = await makeHarness();
  ({ scenePath: scene, truthPath } = await demoScene(2240));
});

/** Per 224-px tile of the demo, the fraction of its SCL band (read with geotiff.js) that is cloud. */
async function demoCloudFractions(): Promise<Map<string, number>> {
  const tiff = await fromFile(scene);
  const image = await tiff.getImage();
  const [scl] = (await image.readRasters({ samples: [DEMO_STACK_BANDS.indexOf('SCL')], interleave: false })) as unknown as Int16Array[];
  const w = image.getWidth();
  const out = new Map<string, number>();
  for (let r = 0; r < 10; r++) {
    for (let c = 0; c < 10; c++) {
      let n = 0;
      for (let y = r * 224; y < (r + 1) * 224; y++) for (let x = c * 224; x < (c + 1) * 224; x++) if (scl[y * w + x] === DEMO_SCL.cloudHigh || scl[y * w + x] === DEMO_SCL.cloudMedium) n++;
      out.set(`r${String(r).padStart(3, '0')}c${String(c).padStart(3, '0')}`, n / (224 * 224));
    }
  }
  return out;
}
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

  test('reports progress, writes GeoParquet with footprints, and skips nodata and cloudy tiles', async () => {
    h.events.length = 0;
    const r = await h.ok('buildIndex', { scene });
    expect(r.cached).toBe(false);
    expect(r.tilesTotal).toBe(100);
    expect(r.tilesIndexed + r.tilesSkipped).toBe(100);
    // The demo's SCL makes its big cloud (r001c000) a skipped tile; its orbit-edge corner is nodata.
    const cloud = await demoCloudFractions();
    const truth = await truthFractions(truthPath);
    const cloudy = [...cloud].filter(([, f]) => f > 0.5).map(([id]) => id);
    const nodata = [...truth].filter(([id, f]) => !cloudy.includes(id) && f[DEMO_CLASS.nodata] > 0.5).map(([id]) => id);
    expect(cloudy).toEqual(['r001c000']);
    expect(nodata).toHaveLength(1);
    expect(r).toMatchObject({ masks: 'SCL', maxCloud: 0.5, tilesSkippedCloudy: cloudy.length, tilesSkippedNodata: nodata.length, tilesSkipped: cloudy.length + nodata.length, date: '2024-06-12' });
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
    expect(tiles.tileId.filter((id) => cloudy.includes(id) || nodata.includes(id))).toEqual([]);
    for (let i = 0; i < tiles.tileId.length; i++) expect(tiles.cloudFraction[i], tiles.tileId[i]).toBeCloseTo(cloud.get(tiles.tileId[i])!, 6);
    expect(embedding.at(-1)).toMatchObject({ skippedCloudy: cloudy.length, skippedNodata: nodata.length });
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
