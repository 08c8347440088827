// The map's imagery for every kind of scene: a true-colour preview COG for a GDAL-made folder of
// per-band files (from a real chip) and for stacks without overviews (the demo), checked against
// GDAL's own average downsample at every level and against gdalinfo and GDAL's COG validator;
// the cache, cancelling, and a COG with overviews that is read as it is.
import { readdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultBuiltInModelsDir } from '../../../src-main/core/app-paths.ts';
import { createOpRunner } from '../../../src-main/core/app/index.ts';
import { sceneImagery } from '../../../src-main/core/app/scene-preview.ts';
import { resolveDataHome } from '../../../src-main/core/data-home.ts';
import { createHandlers } from '../../../src-main/core/handlers/index.ts';
import { makeBandFiles, type BandFileFixtures } from '../../fixtures/make-band-files.ts';
import { demoScene, gdal, gdalPython, makeHarness, type Harness } from '../../helpers/harness.ts';
import { fixture } from '../../helpers/fixtures.ts';

let h: Harness;
let dir: string;
let fx: BandFileFixtures;
let demo: string;
const CHIP = fixture('msclip-examples', '282D_485L_3_3.tif');
/** GDAL's COG validator, shipped with python3-gdal. */
const COG_VALIDATOR = '/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_cloud_optimized_geotiff.py';

beforeAll(async () => {
  h = await makeHarness();
  dir = await mkdtemp(join(tmpdir(), 'mslens-preview-'));
  fx = makeBandFiles(CHIP, dir);
  demo = (await demoScene(2240)).scenePath;
}, 120_000);
afterAll(async () => {
  await h?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// Each level of the preview (arg 1) against GDAL's average downsample of bands (arg 3) of a
// reference raster (arg 2) to the level's size: max and mean absolute difference in DN, and the
// count of pixels where one side is nodata and the other not.
const COMPARE = `
import sys, json
import numpy as np
from osgeo import gdal
prev, ref, bands = sys.argv[1], sys.argv[2], [int(b) for b in sys.argv[3].split(',')]
p = gdal.Open(prev)
nd = p.GetRasterBand(1).GetNoDataValue()
src = gdal.Translate('/vsimem/src.tif', ref, bandList=bands)
out = []
for k in range(p.GetRasterBand(1).GetOverviewCount() + 1):
    planes = [p.GetRasterBand(b + 1) if k == 0 else p.GetRasterBand(b + 1).GetOverview(k - 1) for b in range(3)]
    w, h = planes[0].XSize, planes[0].YSize
    a = np.stack([x.ReadAsArray() for x in planes]).astype(np.float64)
    g = gdal.Translate('/vsimem/ref.tif', src, width=w, height=h, resampleAlg='average').ReadAsArray().astype(np.float64)
    gdal.Unlink('/vsimem/ref.tif')
    mismatch = int(((a == nd) != (g == nd)).sum()) if nd is not None else 0
    valid = (a != nd) & (g != nd) if nd is not None else np.ones(a.shape, bool)
    d = np.abs(a - g)[valid]
    out.append({'size': [w, h], 'max': float(d.max()), 'mean': float(d.mean()), 'nodataMismatch': mismatch, 'nodata': int((a == nd).sum()) if nd is not None else 0})
print(json.dumps(out))
`;
interface LevelDiff { size: [number, number]; max: number; mean: number; nodataMismatch: number; nodata: number }
const compare = (preview: string, ref: string, bands: number[]): LevelDiff[] => JSON.parse(gdalPython(COMPARE, preview, ref, bands.join(','))) as LevelDiff[];
const info = (path: string): { geoTransform: number[]; size: number[]; coordinateSystem: { wkt: string }; bands: { description?: string; noDataValue?: number; overviews?: { size: number[] }[] }[] } =>
  JSON.parse(gdal('gdalinfo', ['-json', path]));
const tempFiles = async (d: string): Promise<string[]> => (await readdir(d).catch(() => [] as string[])).filter((f) => f.startsWith('.'));

describe('a folder of per-band GeoTIFFs', () => {
  test('its preview is the stack\'s B04/B03/B02, and each overview GDAL\'s average of them (within 1 DN)', async () => {
    const cacheDir = join(dir, 'cache-folder');
    const im = await sceneImagery(fx.safe, { cacheDir, tileSize: 64 });
    expect(im).toMatchObject({ kind: 'preview', bands: [1, 2, 3], width: 224, height: 224, overviews: 2, pixelSize: 10, cached: false });
    const levels = compare(im.path, fx.stack, [4, 3, 2]);
    expect(levels.map((l) => l.size)).toEqual([[224, 224], [112, 112], [56, 56]]);
    // Level 0 is the 10 m bands themselves; overview pixels are means of means (float), rounded once.
    expect(levels[0].max).toBe(0);
    for (const l of levels) {
      expect(l.max, JSON.stringify(l)).toBeLessThanOrEqual(1);
      expect(l.mean).toBeLessThan(0.05);
    }
  });

  test('georeferencing, band names and nodata are the scene\'s; the file is a valid COG', async () => {
    const im = await sceneImagery(fx.safe, { cacheDir: join(dir, 'cache-folder'), tileSize: 64 });
    const p = info(im.path);
    const s = info(fx.stack);
    expect(p.size).toEqual([224, 224]);
    expect(p.geoTransform).toEqual(s.geoTransform);
    expect(p.coordinateSystem.wkt).toBe(s.coordinateSystem.wkt);
    expect(p.bands.map((b) => b.description)).toEqual(['B04', 'B03', 'B02']);
    expect(p.bands[0].overviews?.map((o) => o.size)).toEqual([[112, 112], [56, 56]]);
    expect(gdal('/usr/bin/python3', [COG_VALIDATOR, im.path])).toMatch(/is a valid cloud optimized GeoTIFF/);
  });

  test('a larger scene is box-averaged by a whole factor: 224 px at 40 m is GDAL\'s 4 × 4 average exactly', async () => {
    const im = await sceneImagery(fx.safe, { cacheDir: join(dir, 'cache-reduced'), maxSize: 56 });
    expect(im).toMatchObject({ kind: 'preview', width: 56, height: 56, pixelSize: 40, overviews: 0 });
    const [level] = compare(im.path, fx.stack, [4, 3, 2]);
    expect(level).toMatchObject({ size: [56, 56], max: 0 });
    const p = info(im.path);
    const s = info(fx.stack);
    expect(p.geoTransform).toEqual([s.geoTransform[0], 40, 0, s.geoTransform[3], 0, -40]);
  });

  test('when the factor does not divide the scene, edge pixels average the scene pixels they cover', async () => {
    // 224 px by 3: 75 preview pixels, the last row and column the mean of the 2 scene pixels left.
    const im = await sceneImagery(fx.safe, { cacheDir: join(dir, 'cache-partial'), maxSize: 75 });
    expect(im).toMatchObject({ width: 75, height: 75, pixelSize: 30 });
    const diff = gdalPython(`
import sys
import numpy as np
from osgeo import gdal
a = gdal.Open(sys.argv[1]).ReadAsArray().astype(np.float64)[[3, 2, 1]]
padded = np.full((3, 225, 225), np.nan)
padded[:, :224, :224] = a
expected = np.floor(np.nanmean(padded.reshape(3, 75, 3, 75, 3), axis=(2, 4)) + 0.5)
print(float(np.abs(gdal.Open(sys.argv[2]).ReadAsArray() - expected).max()))
`, fx.stack, im.path);
    expect(Number(diff)).toBe(0);
  });

  test('nodata stays nodata and is left out of the averages, as GDAL does', async () => {
    const im = await sceneImagery(fx.nodataEdge, { cacheDir: join(dir, 'cache-nodata'), maxSize: 56 });
    // The reference: the folder's 10 m B04/B03/B02 stacked by GDAL (nodata 0 in the west 60 columns).
    const vrt = join(dir, 'nodata-rgb.vrt');
    const files = (await readdir(fx.nodataEdge)).sort();
    const band = (b: string): string => join(fx.nodataEdge, files.find((f) => f.includes(`_${b}_`))!);
    gdal('gdalbuildvrt', ['-q', '-separate', vrt, band('B04'), band('B03'), band('B02')]);
    const [level] = compare(im.path, vrt, [1, 2, 3]);
    expect(info(im.path).bands[0].noDataValue).toBe(0);
    expect(level.nodata).toBe(3 * 15 * 56); // 60 columns / 4, in each band
    expect(level).toMatchObject({ nodataMismatch: 0, max: 0 });
  });
});

describe('through the api', () => {
  test('a demo stack (no overviews) gets a preview with overviews; every level matches GDAL\'s average', async () => {
    const im = await h.ok('sceneImagery', { path: demo });
    expect(im).toMatchObject({ kind: 'preview', bands: [1, 2, 3], width: 2240, height: 2240, overviews: 4, pixelSize: 10, cached: false });
    expect(im.path.startsWith(join(h.home, 'previews'))).toBe(true);
    const levels = compare(im.path, demo, [4, 3, 2]);
    expect(levels.map((l) => l.size[0])).toEqual([2240, 1120, 560, 280, 140]);
    expect(levels[0].max).toBe(0);
    for (const l of levels) {
      expect(l.max, JSON.stringify(l)).toBeLessThanOrEqual(1);
      expect(l.nodataMismatch).toBe(0);
    }
    const events = h.events.filter((e) => e.op === 'sceneImagery');
    expect(events.length).toBeGreaterThan(2);
    expect(events.at(-1)).toMatchObject({ message: 'Preparing the map preview', done: events.at(-1)!.total });
  });

  test('the second open is a cache hit: same file, untouched, no worker', async () => {
    const first = await h.ok('sceneImagery', { path: demo });
    const before = await stat(first.path);
    h.events.length = 0;
    const second = await h.ok('sceneImagery', { path: demo });
    expect(second).toMatchObject({ path: first.path, cached: true, width: 2240, overviews: 4 });
    expect((await stat(second.path)).ino).toBe(before.ino);
    expect(h.events.filter((e) => e.op === 'sceneImagery')).toEqual([]);
  });

  test('cancelling stops the worker and leaves nothing in the cache', async () => {
    const home = await mkdtemp(join(tmpdir(), 'mslens-preview-cancel-'));
    try {
      const runner = createOpRunner(createHandlers({ home: resolveDataHome({ MSLENS_HOME: home }), builtInModels: defaultBuiltInModelsDir() }), { log: () => {} });
      runner.subscribe((_n, p) => { if (p.jobId === 'preview-cancel' && p.done >= 1 && p.total > 1) runner.jobs.cancel('preview-cancel'); });
      const reply = await runner.run('sceneImagery', { path: demo }, { jobId: 'preview-cancel' });
      expect(reply).toMatchObject({ ok: false, error: { code: 'CANCELLED', message: 'Preparing the map preview was cancelled.' } });
      expect(await readdir(join(home, 'previews'))).toEqual([]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  test('a GeoTIFF with overviews is read as it is, and the runner lets the map read the preview files it made', async () => {
    const cog = join(dir, 'chip-cog.tif');
    gdal('gdal_translate', ['-q', '-of', 'COG', '-co', 'BLOCKSIZE=64', '-co', 'COMPRESS=DEFLATE', CHIP, cog]);
    const runner = createOpRunner(createHandlers({ home: resolveDataHome({ MSLENS_HOME: h.home }), builtInModels: defaultBuiltInModelsDir() }), { log: () => {} });
    const direct = await runner.run('sceneImagery', { path: cog });
    expect(direct).toMatchObject({ ok: true, value: { kind: 'scene', path: cog, bands: [4, 3, 2], width: 224, overviews: 2 } });
    expect(await runner.files.isAllowed(cog)).toBe(true);

    const folder = await runner.run('sceneImagery', { path: fx.safe });
    if (!folder.ok) throw new Error(folder.error.message);
    const preview = (folder.value as { path: string }).path;
    expect(await runner.files.isAllowed(preview)).toBe(true);
    expect((await runner.files.respond(preview, 'bytes=0-3')).status).toBe(206);
    expect(await tempFiles(join(h.home, 'previews'))).toEqual([]);
  });

  test('errors say what is wrong', async () => {
    const missing = await h.call('sceneImagery', { path: join(dir, 'no-such-scene.tif') });
    expect(!missing.ok && missing.error).toMatchObject({ code: 'NOT_FOUND' });
    const notScene = await h.call('sceneImagery', { path: fx.empty });
    expect(!notScene.ok && notScene.error).toMatchObject({ code: 'SCENE_UNREADABLE' });
  });
});
