// SCL cloud masks on a real chip with a painted SCL (tests/fixtures/make-cloudy.ts), through dispatch:
// cloudy tiles skipped and counted, the threshold in the cache key and settings, per-tile facts in
// the index, in search/classify/similar results (one scene and a collection of two dates) and GeoJSON.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { IndexSummary, TileRef } from '../../../src-main/core/api.ts';
import { readIndexFile, type IndexTiles } from '../../../src-main/core/index/index-store.ts';
import { parseTileId } from '../../../src-main/core/tiles/tile-grid.ts';
import { CLEAR_DATE, CLOUDY_DATE, CLOUDY_MGRS, CLOUDY_TILE, expectedFractions, makeCloudy, type CloudyFixtures } from '../../fixtures/make-cloudy.ts';
import { makeHarness, type Harness } from '../../helpers/harness.ts';
import { fixture } from '../../helpers/fixtures.ts';

let h: Harness;
let dir: string;
let fx: CloudyFixtures;
/** The folder indexed at the default threshold (0.5). */
let cloudy: IndexSummary;
const CHIP = fixture('msclip-examples', '282D_485L_3_3.tif');
const ALL_TILES = Array.from({ length: 16 }, (_, i) => `r00${Math.floor(i / 4)}c00${i % 4}`);

beforeAll(async () => {
  h = await makeHarness();
  dir = await mkdtemp(join(tmpdir(), 'mslens-cloudy-'));
  fx = makeCloudy(CHIP, dir);
  cloudy = await h.ok('buildIndex', { scene: fx.folder, tile: CLOUDY_TILE });
}, 60_000);
afterAll(async () => {
  await h?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Tiles whose painted cloud fraction is above `max`. */
const cloudyAbove = (max: number): string[] => ALL_TILES.filter((id) => { const { row, col } = parseTileId(id)!; return expectedFractions(row, col).cloud > max; });

function expectPaintedFractions(tiles: IndexTiles): void {
  for (let i = 0; i < tiles.tileId.length; i++) {
    const e = expectedFractions(tiles.row[i], tiles.col[i]);
    const got = [tiles.cloudFraction[i], tiles.shadowFraction[i], tiles.snowFraction[i], tiles.nodataFraction[i]];
    expect(got, tiles.tileId[i]).toEqual([e.cloud, e.shadow, e.snow, e.nodata].map(Math.fround));
  }
}

/** A result's facts as the painted SCL and the scene's names say they must be. */
function expectFacts(t: TileRef): void {
  const { row, col } = parseTileId(t.tile)!;
  const e = expectedFractions(row, col);
  const r4 = (v: number): number => Math.round(v * 1e4) / 1e4;
  expect(t, t.tile).toMatchObject({
    date: CLOUDY_DATE, mgrsTile: CLOUDY_MGRS,
    cloudFraction: r4(e.cloud), shadowFraction: r4(e.shadow), snowFraction: r4(e.snow), nodataFraction: r4(e.nodata),
  });
}

describe('indexing a scene with an SCL layer', () => {
  test('tiles above the cloud threshold are skipped and counted apart from nodata; the others carry the painted fractions', async () => {
    expect(cloudyAbove(0.5)).toEqual(['r000c000', 'r000c001', 'r000c002']);
    expect(cloudy).toMatchObject({
      tilesTotal: 16, tilesIndexed: 13, tilesSkipped: 3, tilesSkippedCloudy: 3, tilesSkippedNodata: 0,
      maxCloud: 0.5, masks: 'SCL', date: CLOUDY_DATE, mgrsTile: CLOUDY_MGRS, cached: false,
    });
    const last = h.events.filter((e) => e.op === 'buildIndex').at(-1)!;
    expect(last).toMatchObject({ skippedCloudy: 3, skippedNodata: 0 });
    const { meta, tiles } = await readIndexFile(cloudy.path);
    expect(meta).toMatchObject({ formatVersion: 2, masks: 'SCL', maxCloudFraction: 0.5, tilesSkipped: 3, tilesSkippedCloudy: 3, tilesSkippedNodata: 0, date: CLOUDY_DATE, mgrsTile: CLOUDY_MGRS });
    expect(tiles.tileId).toEqual(ALL_TILES.filter((id) => !cloudyAbove(0.5).includes(id)));
    expectPaintedFractions(tiles);
    // Spot checks of what was painted: half cloud (kept at 0.5), quarter cloud + quarter shadow, half snow, half nodata.
    const at = (id: string): number => tiles.tileId.indexOf(id);
    expect(tiles.cloudFraction[at('r002c003')]).toBe(0.5);
    expect([tiles.cloudFraction[at('r001c000')], tiles.shadowFraction[at('r001c000')]]).toEqual([0.25, 0.25]);
    expect(tiles.snowFraction[at('r001c001')]).toBe(0.5);
    expect(tiles.nodataFraction[at('r001c002')]).toBe(0.5);
    expect(tiles.cloudFraction[at('r003c000')]).toBe(0); // water is none of the four
  });

  test('the threshold is an argument, part of the cache key, and stored', async () => {
    const strict = await h.ok('buildIndex', { scene: fx.folder, tile: CLOUDY_TILE, maxCloud: 0.3 });
    expect(strict.path).not.toBe(cloudy.path);
    expect(strict).toMatchObject({ cached: false, maxCloud: 0.3, tilesSkippedCloudy: cloudyAbove(0.3).length, tilesIndexed: 16 - cloudyAbove(0.3).length });
    expect(cloudyAbove(0.3)).toContain('r002c003');
    const none = await h.ok('buildIndex', { scene: fx.folder, tile: CLOUDY_TILE, maxCloud: 1 });
    expect(none).toMatchObject({ tilesIndexed: 16, tilesSkipped: 0, maxCloud: 1 });
    expectPaintedFractions((await readIndexFile(none.path)).tiles);
    const zero = await h.ok('buildIndex', { scene: fx.folder, tile: CLOUDY_TILE, maxCloud: 0 });
    expect(zero.tilesSkippedCloudy).toBe(cloudyAbove(0).length); // even one cirrus pixel counts
    // The default is 0.5: asking for it explicitly finds the first index in the cache.
    const again = await h.ok('buildIndex', { scene: fx.folder, tile: CLOUDY_TILE, maxCloud: 0.5 });
    expect(again).toMatchObject({ cached: true, path: cloudy.path, tilesSkippedCloudy: 3 });

    const bad = await h.call('buildIndex', { scene: fx.folder, maxCloud: 1.5 });
    expect(!bad.ok && bad.error).toMatchObject({ code: 'BAD_ARGUMENT', message: 'maxCloud: takes a fraction from 0 to 1', detail: { field: 'maxCloud' } });
  });

  test('the settings hold the default threshold', async () => {
    const listed = await h.ok('listModels', {});
    expect(listed.maxCloud).toBe(0.5);
    try {
      expect((await h.ok('updateSettings', { maxCloud: 0.3 })).maxCloud).toBe(0.3);
      const r = await h.ok('buildIndex', { scene: fx.folder, tile: CLOUDY_TILE });
      expect(r).toMatchObject({ cached: true, maxCloud: 0.3, tilesSkippedCloudy: cloudyAbove(0.3).length });
      // A setting sent as undefined keeps its value.
      await h.ok('updateSettings', { precision: 'fp32' });
      expect(await h.ok('updateSettings', { maxCloud: 0.4, precision: undefined })).toMatchObject({ maxCloud: 0.4, precision: 'fp32' });
    } finally {
      await h.ok('updateSettings', { maxCloud: 0.5, precision: 'auto' });
    }
  });

  test('a 13-band stack with its SCL as a band described "SCL" gives the same fractions', async () => {
    const scene = await h.ok('openScene', { path: fx.stack, tile: CLOUDY_TILE });
    expect(scene.bands).toEqual(['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B11', 'B12', 'SCL']);
    const r = await h.ok('buildIndex', { scene: fx.stack, tile: CLOUDY_TILE });
    expect(r).toMatchObject({ masks: 'SCL', tilesSkippedCloudy: 3, date: CLOUDY_DATE, mgrsTile: CLOUDY_MGRS });
    const stack = (await readIndexFile(r.path)).tiles;
    const folder = (await readIndexFile(cloudy.path)).tiles;
    expect(stack.tileId).toEqual(folder.tileId);
    for (const key of ['cloudFraction', 'shadowFraction', 'snowFraction', 'nodataFraction'] as const) expect(Array.from(stack[key]), key).toEqual(Array.from(folder[key]));
  });

  test('without SCL the fractions are unknown (null, NaN in the file), nothing is skipped for clouds, and the threshold is not in the cache key', async () => {
    const clear = await h.ok('buildIndex', { scene: fx.clear, tile: CLOUDY_TILE });
    expect(clear).toMatchObject({ masks: null, tilesIndexed: 16, tilesSkippedCloudy: 0, date: CLEAR_DATE, mgrsTile: CLOUDY_MGRS });
    const { tiles } = await readIndexFile(clear.path);
    expect([...tiles.cloudFraction, ...tiles.shadowFraction, ...tiles.snowFraction, ...tiles.nodataFraction].every(Number.isNaN)).toBe(true);
    expect(await h.ok('buildIndex', { scene: fx.clear, tile: CLOUDY_TILE, maxCloud: 0.1 })).toMatchObject({ cached: true, path: clear.path });
    const opened = await h.ok('openIndex', { index: clear.path });
    expect(opened.tiles).toHaveLength(16);
    for (const t of opened.tiles) expect(t).toMatchObject({ date: CLEAR_DATE, mgrsTile: CLOUDY_MGRS, cloudFraction: null, shadowFraction: null, snowFraction: null, nodataFraction: null });
  });
});

describe('per-tile facts in results', () => {
  test('search and its GeoJSON: every hit with date, MGRS tile and its fractions', async () => {
    const out = join(dir, 'search.geojson');
    const r = await h.ok('search', { index: cloudy.path, text: 'forest', topK: 16, geojson: out });
    expect(r.results).toHaveLength(13);
    r.results.forEach(expectFacts);
    const fc = JSON.parse(await readFile(out, 'utf8')) as { features: { properties: Record<string, unknown> }[] };
    expect(fc.features.map((f) => f.properties)).toEqual(r.results.map((x, i) => ({
      tile: x.tile, row: x.row, col: x.col, scene_id: x.sceneId, date: CLOUDY_DATE, mgrs_tile: CLOUDY_MGRS, model_id: 'mslens-spectral',
      valid_fraction: x.validFraction, cloud_fraction: x.cloudFraction, shadow_fraction: x.shadowFraction, snow_fraction: x.snowFraction, nodata_fraction: x.nodataFraction,
      query: 'forest', score: x.score, rank: i + 1,
    })));
  });

  test('classify, similar and openIndex carry the same facts', async () => {
    const out = join(dir, 'classes.geojson');
    const c = await h.ok('classify', { index: cloudy.path, classes: ['water', 'forest', 'cropland'], geojson: out });
    expect(c.tiles).toHaveLength(13);
    c.tiles.forEach(expectFacts);
    const fc = JSON.parse(await readFile(out, 'utf8')) as { features: { properties: Record<string, unknown> }[] };
    expect(fc.features.map((f) => f.properties.cloud_fraction)).toEqual(c.tiles.map((t) => t.cloudFraction));
    expect(fc.features.every((f) => f.properties.date === CLOUDY_DATE && f.properties.mgrs_tile === CLOUDY_MGRS)).toBe(true);
    const s = await h.ok('similar', { index: cloudy.path, tile: 'r001c000', topK: 5 });
    expect(s.results).toHaveLength(5);
    s.results.forEach(expectFacts);
    (await h.ok('openIndex', { index: cloudy.path })).tiles.forEach(expectFacts);
  });

  test('a collection of two dates: results name their scene and date; tiles cloudy on one date come from the other', async () => {
    const clear = await h.ok('buildIndex', { scene: fx.clear, tile: CLOUDY_TILE });
    const r = await h.ok('search', { index: [cloudy.path, clear.path], text: 'forest', topK: 29, geojson: join(dir, 'both.geojson') });
    expect(r.results).toHaveLength(29);
    const dateOf = { [cloudy.sceneId]: CLOUDY_DATE, [clear.sceneId]: CLEAR_DATE };
    for (const x of r.results) {
      expect(x.date).toBe(dateOf[x.sceneId]);
      if (x.sceneId === cloudy.sceneId) expectFacts(x);
      else expect(x).toMatchObject({ cloudFraction: null, shadowFraction: null, snowFraction: null, nodataFraction: null });
    }
    expect(r.results.filter((x) => x.tile === 'r000c000').map((x) => x.sceneId)).toEqual([clear.sceneId]);
    const fc = JSON.parse(await readFile(join(dir, 'both.geojson'), 'utf8')) as { features: { properties: { scene_id: string; date: string } }[] };
    expect(fc.features.map((f) => [f.properties.scene_id, f.properties.date])).toEqual(r.results.map((x) => [x.sceneId, x.date]));
    const s = await h.ok('similar', { index: [cloudy.path, clear.path], tile: `${clear.sceneId}/r000c000`, topK: 3 });
    expect(s.results.every((x) => x.date === dateOf[x.sceneId])).toBe(true);
  });
});
