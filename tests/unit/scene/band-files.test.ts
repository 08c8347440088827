// A scene as a folder of per-band GeoTIFFs at native resolutions, made with GDAL from a real chip:
// names, the 10 m grid, bilinear resampling of 20/60 m bands, embeddings, and bad folders.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fromFile } from 'geotiff';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sceneIdOf } from '../../../src-main/core/index/build-index.ts';
import { readIndexFile } from '../../../src-main/core/index/index-store.ts';
import { parseBandFileName, sceneFactsFromName } from '../../../src-main/core/scene/band-file-names.ts';
import { BandFilesSource, type FileRead } from '../../../src-main/core/scene/band-files-source.ts';
import { BAND_TABLE } from '../../../src-main/core/scene/band-table.ts';
import { GeoTiffSource } from '../../../src-main/core/scene/geotiff-source.ts';
import { openScene } from '../../../src-main/core/scene/open-scene.ts';
import { makeBandFiles, STEM, TILE, type BandFileFixtures } from '../../fixtures/make-band-files.ts';
import { gdal, makeHarness, type Harness } from '../../helpers/harness.ts';
import { inputDiffs, modelInput } from '../../helpers/model-input.ts';
import { fixture } from '../../helpers/fixtures.ts';

let h: Harness;
let dir: string;
let fx: BandFileFixtures;
const CHIP = fixture('msclip-examples', '282D_485L_3_3.tif');

beforeAll(async () => {
  h = await makeHarness();
  dir = await mkdtemp(join(tmpdir(), 'mslens-bandfiles-'));
  fx = makeBandFiles(CHIP, dir);
}, 60_000);
afterAll(async () => {
  await h?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('band file names', () => {
  test('band ids, resolution, tile and date from SAFE-style, plain and Earth Search names', () => {
    expect(parseBandFileName('B02.tif')).toEqual({ band: 'B02', format: 'tiff' });
    expect(parseBandFileName('b8a.TIFF')?.band).toBe('B8A');
    expect(parseBandFileName('T33UUP_20240612T101031_B8A_20m.jp2')).toEqual({ band: 'B8A', format: 'jp2', resolution: 20, tile: '33UUP', date: '2024-06-12' });
    expect(parseBandFileName('T33UUP_20240612T101031_B02.tif')).toMatchObject({ band: 'B02', tile: '33UUP', date: '2024-06-12' });
    const earthSearch = ['coastal', 'blue', 'green', 'red', 'rededge1', 'rededge2', 'rededge3', 'nir', 'nir08', 'nir09', 'swir16', 'swir22', 'scl'];
    expect(earthSearch.map((n) => parseBandFileName(`${n}.tif`)?.band)).toEqual(['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B11', 'B12', 'SCL']);
    expect(parseBandFileName('SCL_20m.tif')?.band).toBe('SCL');
    // Not band files: other products, other formats, two band names.
    for (const name of ['TCI.tif', 'visual.tif', 'T33UUP_20240612T101031_AOT_20m.tif', 'B04.png', 'MTD_TL.xml', 'B04_B08.tif', 'blueprint.tif', 'B13.tif']) {
      expect(parseBandFileName(name), name).toBeNull();
    }
    expect(sceneFactsFromName(`S2B_${TILE}_20240612_0_L2A`)).toEqual({ tile: TILE, date: '2024-06-12' });
    expect(sceneFactsFromName('my-scene')).toEqual({});
  });
});


describe('a folder of per-band COGs', () => {
  test('opens with band identity, date and tile from the names, on the 10 m grid', async () => {
    const stack = await GeoTiffSource.open(fx.stack);
    for (const folder of [fx.safe, fx.earthSearch]) {
      const s = await BandFilesSource.open(folder);
      expect(s.info.bands).toEqual(['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B11', 'B12']);
      expect(s.info.date).toBe('2024-06-12');
      expect(s.info.tile).toBe(TILE);
      expect([s.info.width, s.info.height]).toEqual([224, 224]);
      expect(s.info.transform).toEqual(stack.info.transform);
      expect(s.info.crs).toEqual(stack.info.crs);
      expect(basename(s.files.get('B05')!)).toBe(folder === fx.safe ? `${STEM}_B05_20m.tif` : 'rededge1.tif');
      await s.close();
    }
    await stack.close();
    const summary = await h.ok('openScene', { path: fx.safe });
    expect(summary.date).toBe('2024-06-12');
    expect(summary.bands).toHaveLength(12);
  });

  test('10 m bands reach the model bit-identical to the stack; 20/60 m bands differ only by resampling', async () => {
    const stack = await GeoTiffSource.open(fx.stack);
    const folder = await BandFilesSource.open(fx.safe);
    const a = await modelInput(stack);
    const b = await modelInput(folder);
    await stack.close();
    await folder.close();
    expect(b.bands).toEqual(a.bands);
    const stats = inputDiffs(a, b);
    // Measured (model input units, i.e. standard deviations of the model's normalisation), first
    // tile of 282D_485L_3_3: 10 m bands 0; 20 m bands max 0.087–0.097, mean 0.0048–0.0063
    // (B05 0.087/0.0049, B06 0.096/0.0058, B07 0.092/0.0062, B8A 0.092/0.0063, B11 0.097/0.0051,
    // B12 0.097/0.0048): what 2×2 averaging and bilinear upsampling lose, nothing more.
    for (const band of a.bands) {
      if (BAND_TABLE[band as 'B02'].resolution === 10) expect(stats[band], band).toEqual({ max: 0, mean: 0 });
      else {
        expect(stats[band].max, band).toBeGreaterThan(0.05);
        expect(stats[band].max, band).toBeLessThan(0.1);
        expect(stats[band].mean, band).toBeGreaterThan(0.004);
        expect(stats[band].mean, band).toBeLessThan(0.0065);
      }
    }
  });

  test('20/60 m bands are resampled as gdalwarp -r bilinear does (same pixel-centre convention)', async () => {
    const stack = await GeoTiffSource.open(fx.stack);
    const folder = await BandFilesSource.open(fx.safe);
    const all = ['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B11', 'B12'] as const;
    const win = { x: 0, y: 0, width: 224, height: 224 };
    const a = await stack.readWindow(win, all);
    const b = await folder.readWindow(win, all);
    await stack.close();
    await folder.close();
    // Raw values (DN = reflectance × 10000), folder vs stack: 10 m bands identical, 20 m and 60 m
    // bands differ by what resampling loses. Measured: 20 m bands max 872–966 DN (at field edges),
    // mean 48–63 DN; 60 m bands B01 max 911 / mean 66 DN, B09 max 1899 / mean 140 DN.
    const dn = Object.fromEntries(all.map((band, k) => {
      let max = 0;
      let sum = 0;
      for (let i = 0; i < a[k].length; i++) { const d = Math.abs(a[k][i] - b[k][i]); max = Math.max(max, d); sum += d; }
      return [band, { max, mean: sum / a[k].length }];
    }));
    for (const band of all) {
      const res = BAND_TABLE[band].resolution;
      if (res === 10) expect(dn[band], band).toEqual({ max: 0, mean: 0 });
      else expect(dn[band].mean, band).toBeLessThan(res === 20 ? 65 : 150);
    }
    // The same upsampling by GDAL onto the 10 m grid: equal up to GDAL's rounding to int16.
    const ref = join(dir, 'b05-gdalwarp-bilinear.tif');
    const [x0, , , y0] = stack.info.transform;
    gdal('gdalwarp', ['-q', '-overwrite', '-r', 'bilinear', '-tr', '10', '10', '-te', String(x0), String(y0 - 2240), String(x0 + 2240), String(y0), folder.files.get('B05')!, ref]);
    const [g] = (await (await (await fromFile(ref)).getImage()).readRasters({ interleave: false })) as unknown as Int16Array[];
    let max = 0;
    for (let i = 0; i < g.length; i++) max = Math.max(max, Math.abs(g[i] - b[4][i]));
    expect(max).toBeLessThanOrEqual(0.5001);
  });

  test('the built-in model embeds the folder like the stack', async () => {
    const ref = await readIndexFile((await h.ok('buildIndex', { scene: fx.stack })).path);
    for (const folder of [fx.safe, fx.earthSearch]) {
      const built = await h.ok('buildIndex', { scene: folder });
      const idx = await readIndexFile(built.path);
      expect(idx.tiles.embeddings.length).toBe(ref.tiles.embeddings.length);
      const e = idx.tiles.embeddings;
      const r = ref.tiles.embeddings;
      let dot = 0, ne = 0, nr = 0;
      for (let i = 0; i < e.length; i++) { dot += e[i] * r[i]; ne += e[i] * e[i]; nr += r[i] * r[i]; }
      const cos = dot / Math.sqrt(ne * nr);
      // Measured: 0.99983 for both folders.
      expect(cos).toBeGreaterThanOrEqual(0.999);
      expect(cos).toBeLessThan(1);
      expect(built.date).toBe('2024-06-12');
    }
  }, 60_000);

  test('a window read touches only the part of each file it needs', async () => {
    const reads: FileRead[] = [];
    const s = await BandFilesSource.open(fx.safe, { onFileRead: (r) => reads.push(r) });
    const win = { x: 100, y: 60, width: 20, height: 10 };
    await s.readWindow(win, ['B04', 'B05', 'B09']);
    await s.close();
    const by = Object.fromEntries(reads.map((r) => [r.band, r.window]));
    // 10 m: the window itself. 20 m: output centres i/2 − ¼ → source columns 49.75…59.25, taps 49…60.
    // 60 m (2240/38 m pixels): 5 × 4 source pixels. Never the whole file (112², 38²).
    expect(by).toEqual({
      B04: win,
      B05: { x: 49, y: 29, width: 12, height: 7 },
      B09: { x: 16, y: 9, width: 5, height: 4 },
    });
  });

  test('concurrent window reads of one source give the same values as one after another', async () => {
    const s = await BandFilesSource.open(fx.safe);
    const wins = [0, 30, 60, 90].map((y) => ({ x: 10, y, width: 200, height: 100 }));
    const together = await Promise.all(wins.map((w) => s.readWindow(w, ['B05', 'B09'])));
    for (const [i, w] of wins.entries()) expect(await s.readWindow(w, ['B05', 'B09'])).toEqual(together[i]);
    await s.close();
  });

  test('nodata taps are left out of the interpolation; a pixel with no valid tap is nodata', async () => {
    const clean = await BandFilesSource.open(fx.safe);
    const holed = await BandFilesSource.open(fx.nodataEdge);
    expect(holed.info.nodata).toBe(0);
    const win = { x: 0, y: 0, width: 224, height: 224 };
    const [c02, c05] = await clean.readWindow(win, ['B02', 'B05']);
    const [h02, h05] = await holed.readWindow(win, ['B02', 'B05']);
    await clean.close();
    await holed.close();
    for (let y = 0; y < 224; y++) {
      const row = (a: Float32Array, x0: number, x1: number): number[] => Array.from(a.subarray(y * 224 + x0, y * 224 + x1));
      expect(row(h02, 0, 60).every((v) => v === 0)).toBe(true);
      expect(row(h02, 60, 224)).toEqual(row(c02, 60, 224));
      // 20 m columns 0–29 are nodata: output column 58 (u = 28.75) has only nodata taps, column 59
      // (u = 29.25) and 60 (u = 29.75) only source column 30 along x, from 61 on all taps are valid.
      expect(row(h05, 0, 59).every((v) => v === 0)).toBe(true);
      expect(row(h05, 59, 61).every((v) => v > 0)).toBe(true);
      expect(h05[y * 224 + 59]).toBeCloseTo(h05[y * 224 + 60], 3);
      expect(row(h05, 61, 224)).toEqual(row(c05, 61, 224));
    }
  });
});

describe('bad folders give a clear error', () => {
  const cases: [string, (f: BandFileFixtures) => string, string, RegExp][] = [
    ['bands in two CRSs', (f) => f.mixedCrs, 'SCENE_UNREADABLE', /EPSG:32723 but .* EPSG:32722.*share one CRS and extent/],
    ['a band shifted 500 m', (f) => f.shifted, 'SCENE_UNREADABLE', /B11_20m\.tif covers .* share one CRS and extent/],
    ['no B11', (f) => f.noB11, 'BANDS_MISSING', /band files for B01 B02 B03 B04 B05 B06 B07 B08 B8A B09 B12 but no B11\. .*B11\.tif or swir16\.tif/],
    ['B02 twice', (f) => f.duplicate, 'SCENE_UNREADABLE', /two files for B02 at the same resolution: .*B02_10m\.tif and blue\.tif|two files for B02 at the same resolution: blue\.tif and .*B02_10m\.tif/],
    ['JPEG 2000 only', (f) => f.jp2Only, 'SCENE_UNREADABLE', /JPEG 2000 band files .*gdal_translate/],
    ['no band files', (f) => f.empty, 'SCENE_UNREADABLE', /folder that has no Sentinel-2 band files.*B02\.tif/],
  ];
  test.each(cases)('%s', async (_name, pick, code, message) => {
    const path = pick(fx);
    await expect(openScene(path)).rejects.toMatchObject({ code });
    const indexed = await h.call('buildIndex', { scene: path });
    if (indexed.ok) throw new Error('expected an error');
    expect(indexed.error.code).toBe(code);
    expect(indexed.error.message).toMatch(message);
    expect(indexed.error.message.split('\n')).toHaveLength(1);
    const left = await readdir(join(h.home, 'indexes')).catch(() => []);
    expect(left.filter((f) => f.includes('.tmp') || f.startsWith(sceneIdOf(path)))).toEqual([]);
  });
});
