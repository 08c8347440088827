// Opening scenes through dispatch: band layouts that must agree, and bad inputs that must fail clearly.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sceneIdOf } from '../../../src-main/core/index/build-index.ts';
import { readIndexFile } from '../../../src-main/core/index/index-store.ts';
import { makeSceneFixtures, type SceneFixtures } from '../../fixtures/make-scene-fixtures.ts';
import { makeHarness, type Harness } from '../../helpers/harness.ts';
import { fixture } from '../../helpers/fixtures.ts';

let h: Harness;
let dir: string;
let fx: SceneFixtures;
const CHIP = fixture('msclip-examples', '282D_485L_3_3.tif');

beforeAll(async () => {
  h = await makeHarness();
  dir = await mkdtemp(join(tmpdir(), 'mslens-scenes-'));
  fx = makeSceneFixtures(CHIP, dir);
});
afterAll(async () => {
  await h.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('openScene', () => {
  test('reads a 12-band L2A chip: bands by count, UTM south CRS, size, tiles', async () => {
    const s = await h.ok('openScene', { path: fx.l2a12 });
    expect(s.bands).toEqual(['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B11', 'B12']);
    expect(s.crs.epsg).toBe(32722);
    expect(s.crs.proj4).toContain('+south');
    expect([s.width, s.height, s.sampleType]).toEqual([224, 224, 'int16']);
    expect(s.tiles).toEqual({ size: 224, rows: 1, cols: 1, count: 1 });
    // Upper-left corner from the fixture README: -48.1174, -25.3061.
    expect(s.bbox[0]).toBeCloseTo(-48.1174, 3);
    expect(s.bbox[3]).toBeCloseTo(-25.3061, 3);
  });

  test('takes band identity from descriptions in any order', async () => {
    const s = await h.ok('openScene', { path: fx.shuffled });
    expect(s.bands).toEqual(['B12', 'B11', 'B09', 'B8A', 'B08', 'B07', 'B06', 'B05', 'B04', 'B03', 'B02', 'B01']);
  });

  test('recognises 13-band L1C and 10-band model-order stacks, and a declared offset', async () => {
    expect((await h.ok('openScene', { path: fx.l1c13 })).bands).toContain('B10');
    expect((await h.ok('openScene', { path: fx.model10 })).bands).toEqual(['B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B11', 'B12']);
    expect((await h.ok('openScene', { path: fx.offset })).radiometricOffset).toBe(1000);
  });

  test('every layout gives the same embedding as the 12-band stack', async () => {
    const ref = await readIndexFile((await h.ok('buildIndex', { scene: fx.l2a12 })).path);
    for (const scene of [fx.l1c13, fx.model10, fx.shuffled, fx.offset]) {
      const other = await readIndexFile((await h.ok('buildIndex', { scene })).path);
      const diff = Math.max(...other.tiles.embeddings.map((v, i) => Math.abs(v - ref.tiles.embeddings[i])));
      expect(diff, scene).toBeLessThan(1e-6);
    }
  });
});

describe('bad inputs give a clear error and leave no index behind', () => {
  const cases: [string, (f: SceneFixtures) => string, string, RegExp][] = [
    ['a truncated file', (f) => f.truncated, 'SCENE_UNREADABLE', /truncated|could not be read/],
    ['a 3-band RGB GeoTIFF', (f) => f.rgb, 'BANDS_MISSING', /3 bands.*12 L2A bands/],
    ['a raster without georeferencing', (f) => f.noGeoreference, 'NO_GEOREFERENCE', /georeferenc|coordinate reference/],
    ['a text file named .tif', (f) => f.notTiff, 'SCENE_UNREADABLE', /could not be read as a GeoTIFF/],
    ['a nonexistent path', (f) => join(dir, 'nope', 'missing.tif'), 'NOT_FOUND', /does not exist/],
  ];
  test.each(cases)('%s', async (_name, pick, code, message) => {
    const path = pick(fx);
    const opened = await h.call('openScene', { path });
    expect(opened.ok).toBe(false);
    const indexed = await h.call('buildIndex', { scene: path });
    if (indexed.ok) throw new Error('expected an error');
    expect(indexed.error.code).toBe(code);
    expect(indexed.error.message).toMatch(message);
    expect(indexed.error.message.split('\n')).toHaveLength(1);
    const left = await readdir(join(h.home, 'indexes')).catch(() => []);
    expect(left.filter((f) => f.includes('.tmp') || f.startsWith(sceneIdOf(path)))).toEqual([]);
  });

  test('an empty query is refused before anything runs', async () => {
    const idx = (await h.ok('buildIndex', { scene: fx.l2a12 })).path;
    const r = await h.call('search', { index: idx, text: '   ' });
    if (r.ok) throw new Error('expected an error');
    expect(r.error.code).toBe('BAD_ARGUMENT');
    expect(r.error.message).toMatch(/query is empty/);
  });
});
