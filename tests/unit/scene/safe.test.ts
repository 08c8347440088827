// Sentinel-2 SAFE products (folder and zip, L2A and L1C) with JPEG 2000 bands, made with GDAL from
// a real chip: metadata, tile-by-tile decoding, offsets, the 10 m grid, model input, errors, indexing.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sceneIdOf } from '../../../src-main/core/index/build-index.ts';
import { readIndexFile } from '../../../src-main/core/index/index-store.ts';
import type { BandFilesSource } from '../../../src-main/core/scene/band-files-source.ts';
import { BAND_TABLE } from '../../../src-main/core/scene/band-table.ts';
import { GeoTiffSource } from '../../../src-main/core/scene/geotiff-source.ts';
import { openScene } from '../../../src-main/core/scene/open-scene.ts';
import { fileByteRange } from '../../../src-main/core/scene/safe/byte-range.ts';
import { openJp2BandRaster } from '../../../src-main/core/scene/safe/jp2-band-raster.ts';
import { parseProductMetadata, productRadiometricOffset } from '../../../src-main/core/scene/safe/safe-metadata.ts';
import { zipCacheDir } from '../../../src-main/core/scene/safe/zip-entries.ts';
import { sceneKey } from '../../../src-main/core/scene/scene-key.ts';
import type { BandName } from '../../../src-main/core/scene/types.ts';
import { TILE } from '../../fixtures/make-band-files.ts';
import { makeSafeProducts, type SafeFixtures } from '../../fixtures/make-safe.ts';
import { gdalPython, makeHarness, type Harness } from '../../helpers/harness.ts';
import { modelInput } from '../../helpers/model-input.ts';
import { fixture } from '../../helpers/fixtures.ts';

let h: Harness;
let dir: string;
let fx: SafeFixtures;
const CHIP = fixture('msclip-examples', '282D_485L_3_3.tif');
const ALL: BandName[] = ['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B11', 'B12'];
const FULL = { x: 0, y: 0, width: 224, height: 224 };

beforeAll(async () => {
  h = await makeHarness();
  dir = await mkdtemp(join(tmpdir(), 'mslens-safe-'));
  fx = makeSafeProducts(CHIP, dir);
}, 60_000);
afterAll(async () => {
  await h?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  // The deflated zip's entries were inflated into the shared cache folder.
  for (const f of readdirSync(zipCacheDir())) if (f.includes(`T${TILE}_20240612T101029_`)) rmSync(join(zipCacheDir(), f), { force: true });
});

const variants = (): [string, string][] => [
  ['L2A folder', fx.l2a], ['L1C folder', fx.l1c], ['baseline 03.00 folder', fx.baseline03],
  ['L2A zip (stored)', fx.l2aZip], ['L2A zip (deflated)', fx.l2aZipDeflated], ['plain folder of JP2 bands', fx.jp2Folder],
];


/** How many values differ (vitest's toEqual is slow on big typed arrays). */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

function diffStats(a: Float32Array, b: Float32Array, from = 0, to = a.length): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = from; i < to; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / (to - from) };
}

describe('SAFE products', () => {
  test('open with bands, the 10 m grid, CRS, date, tile and offset from the metadata', async () => {
    const stack = await GeoTiffSource.open(fx.stack);
    const expected: Record<string, { date: string; offset: number; scl: boolean }> = {
      [fx.l2a]: { date: '2024-06-12', offset: 1000, scl: true },
      [fx.l1c]: { date: '2024-06-12', offset: 1000, scl: false },
      [fx.baseline03]: { date: '2021-06-15', offset: 0, scl: true },
      [fx.l2aZip]: { date: '2024-06-12', offset: 1000, scl: true },
      [fx.l2aZipDeflated]: { date: '2024-06-12', offset: 1000, scl: true },
      [fx.jp2Folder]: { date: '2021-06-15', offset: 0, scl: false },
    };
    for (const [name, path] of variants()) {
      const s = (await openScene(path)) as BandFilesSource;
      const want = expected[path];
      expect(s.info.bands, name).toEqual(want.scl ? [...ALL, 'SCL'] : ALL);
      expect([s.info.width, s.info.height], name).toEqual([224, 224]);
      expect(s.info.crs, name).toEqual(stack.info.crs);
      // GMLJP2 (l2a), GeoJP2 (baseline 03) and MTD_TL.xml (l1c, no boxes) all place it where the stack is.
      s.info.transform.forEach((v, i) => expect(v, `${name} transform[${i}]`).toBeCloseTo(stack.info.transform[i], 6));
      expect(s.info.date, name).toBe(want.date);
      expect(s.info.tile, name).toBe(TILE);
      expect(s.info.radiometricOffset, name).toBe(want.offset);
      expect(s.info.sampleType, name).toBe('uint16');
      // The finest file of each band: B02 from R10m although R20m has one too.
      expect(basename(s.files.get('B02')!), name).toMatch(/_B02(_10m)?\.jp2$/);
      expect(basename(s.files.get('B05')!), name).toMatch(/_B05(_20m)?\.jp2$/);
      await s.close();
    }
    await stack.close();
    const summary = await h.ok('openScene', { path: fx.l2aZip });
    expect(summary.date).toBe('2024-06-12');
    expect(summary.radiometricOffset).toBe(1000);
    expect(summary.bands).toHaveLength(13);
  });

  test('the first tile reaches the model as from the stack: 10 m bands exactly, 20/60 m within resampling, offset-free', async () => {
    const stack = await GeoTiffSource.open(fx.stack);
    const ref = await modelInput(stack);
    await stack.close();
    const reference = await openScene(fx.baseline03);
    const noOffset = await modelInput(reference);
    await reference.close();
    expect(noOffset.bands).toEqual(ref.bands);
    // Measured (model input units), first tile of 282D_485L_3_3, baseline-03 product vs stack:
    // 10 m bands 0; 20 m bands max 0.087–0.097, mean 0.0048–0.0063 (B05 0.087/0.0049,
    // B06 0.096/0.0058, B07 0.092/0.0062, B8A 0.092/0.0063, B11 0.097/0.0051, B12 0.097/0.0048):
    // the same as band-files.test.ts, since the JPEG 2000 files are lossless.
    ref.bands.forEach((band, k) => {
      const s = diffStats(ref.pixels, noOffset.pixels, k * ref.plane, (k + 1) * ref.plane);
      if (BAND_TABLE[band as 'B02'].resolution === 10) expect(s, band).toEqual({ max: 0, mean: 0 });
      else {
        expect(s.max, band).toBeGreaterThan(0.05);
        expect(s.max, band).toBeLessThan(0.1);
        expect(s.mean, band).toBeGreaterThan(0.004);
        expect(s.mean, band).toBeLessThan(0.0065);
      }
    });
    // Stored +1000 (L2A BOA_ADD_OFFSET, L1C RADIO_ADD_OFFSET), zipped or not: the same model input.
    // The graph folds the offset into its normalisation (x·scale − (mean + offset)·scale), so
    // offset products differ from offset-free ones by float32 rounding only (measured max 6e-8).
    for (const [name, path] of variants()) {
      const s = await openScene(path);
      const got = await modelInput(s);
      await s.close();
      const d = diffStats(got.pixels, noOffset.pixels);
      if (s.info.radiometricOffset === 0) expect(d, name).toEqual({ max: 0, mean: 0 });
      else expect(d.max, name).toBeLessThan(1e-6);
    }
  });

  test('the zips read the same values as the folder, all bands', async () => {
    const folder = await openScene(fx.l2a);
    const want = await folder.readWindow(FULL, [...ALL, 'SCL']);
    await folder.close();
    for (const zip of [fx.l2aZip, fx.l2aZipDeflated]) {
      const s = await openScene(zip);
      const got = await s.readWindow(FULL, [...ALL, 'SCL']);
      await s.close();
      got.forEach((g, k) => expect(mismatches(g, want[k]), `${basename(zip)} band ${k}`).toBe(0));
    }
    // Stored entries are read in place; deflated ones were inflated once into the cache folder.
    const cached = readdirSync(zipCacheDir()).filter((f) => f.includes(`T${TILE}_20240612T101029_`));
    expect(cached.length).toBeGreaterThanOrEqual(13);
  });
});

describe('JPEG 2000 band files', () => {
  const gdalRead = (path: string): number[] => JSON.parse(gdalPython('import sys, json\nfrom osgeo import gdal\nprint(json.dumps(gdal.Open(sys.argv[1]).ReadAsArray().ravel().tolist()))', path)) as number[];

  test('are decoded tile by tile to what GDAL reads, each codestream tile once for a top-to-bottom read', async () => {
    // 64 px tiles in tile-parts with TLM markers: B02 (224², 4×4 tiles), B05 (112², 2×2), SCL (uint8).
    for (const band of ['B02', 'B05', 'SCL'] as const) {
      const path = join(fx.l2a, fx.l2aBandFile[band]);
      const decoded: number[] = [];
      const r = await openJp2BandRaster(await fileByteRange(path), { band, label: path, onTileDecode: (t) => decoded.push(t) });
      const want = gdalRead(path);
      // Strips of 24 rows, full width, top to bottom.
      const got = new Float32Array(r.width * r.height);
      for (let y = 0; y < r.height; y += 24) {
        const win = { x: 0, y, width: r.width, height: Math.min(24, r.height - y) };
        got.set(await r.read(win), y * r.width);
      }
      expect(mismatches(got, want), band).toBe(0);
      const tiles = Math.ceil(r.width / 64) * Math.ceil(r.height / 64);
      expect(decoded.sort((a, b) => a - b), band).toEqual(Array.from({ length: tiles }, (_, i) => i));
      // A window across four tiles.
      const win = { x: 50, y: 40, width: 30, height: 40 };
      const part = await r.read(win);
      const expectPart = Array.from({ length: win.height }, (_, j) => want.slice((win.y + j) * r.width + win.x, (win.y + j) * r.width + win.x + win.width)).flat();
      expect(mismatches(part, expectPart), band).toBe(0);
      r.close();
    }
  });

  test('a damaged or missing band, a folder or zip that is not a SAFE, give clear errors', async () => {
    const notSafe = join(dir, 'empty.SAFE');
    mkdirSync(notSafe, { recursive: true });
    writeFileSync(join(notSafe, 'readme.txt'), 'not a product\n');
    const notZip = join(dir, 'broken.zip');
    writeFileSync(notZip, 'PK but not really a zip archive\n');
    const cases: [string, string, RegExp][] = [
      [fx.truncatedB05, 'SCENE_UNREADABLE', /^T22JGQ_20240612T101029_B05_20m\.jp2 in S2B_MSIL2A_.*\.SAFE is not a readable JPEG 2000 band file: the file is cut off .*download it again\.$/],
      [fx.noB11, 'BANDS_MISSING', /^S2B_MSIL2A_.*\.SAFE has no band file for B11 in GRANULE\/L2A_T22JGQ_.*\/IMG_DATA \(found B01 B02 B03 B04 B05 B06 B07 B08 B8A B09 B12 SCL\): the product is incomplete\./],
      [notSafe, 'SCENE_UNREADABLE', /^empty\.SAFE is not a Sentinel-2 SAFE product: it has no MTD_MSIL2A\.xml or MTD_MSIL1C\.xml\./],
      [notZip, 'SCENE_UNREADABLE', /^broken\.zip is not a readable zip archive: .*Download it again/],
    ];
    for (const [path, code, message] of cases) {
      await expect(openScene(path), path).rejects.toMatchObject({ code });
      const indexed = await h.call('buildIndex', { scene: path });
      if (indexed.ok) throw new Error(`expected an error for ${path}`);
      expect(indexed.error.code, path).toBe(code);
      expect(indexed.error.message, path).toMatch(message);
      expect(indexed.error.message.split('\n')).toHaveLength(1);
      const left = await readdir(join(h.home, 'indexes')).catch(() => []);
      expect(left.filter((f) => f.includes('.tmp') || f.startsWith(sceneIdOf(path)))).toEqual([]);
    }
  });

  test('offsets: one per product, none before baseline 04.00, an error when they differ', async () => {
    const xml = await readFile(join(fx.l2a, 'MTD_MSIL2A.xml'), 'utf8');
    const md = parseProductMetadata(xml, 'MTD_MSIL2A.xml');
    expect(md).toMatchObject({ level: 'L2A', baseline: '05.10', date: '2024-06-12', quantification: 10000, nodata: 0 });
    expect(productRadiometricOffset(md, 'p')).toBe(1000);
    const l1c = parseProductMetadata(await readFile(join(fx.l1c, 'MTD_MSIL1C.xml'), 'utf8'), 'MTD_MSIL1C.xml');
    expect([l1c.level, productRadiometricOffset(l1c, 'p')]).toEqual(['L1C', 1000]);
    const old = parseProductMetadata(await readFile(join(fx.baseline03, 'MTD_MSIL2A.xml'), 'utf8'));
    expect([old.baseline, productRadiometricOffset(old, 'p')]).toEqual(['03.00', 0]);
    const mixed = parseProductMetadata(xml.replace('<BOA_ADD_OFFSET band_id="8">-1000<', '<BOA_ADD_OFFSET band_id="8">-900<'));
    expect(() => productRadiometricOffset(mixed, 'P.SAFE')).toThrow(/^P\.SAFE declares a different radiometric offset for some bands \(B01 -1000, .*B8A -900, .*\)\. mslens applies one offset/);
    const lost = parseProductMetadata(xml.replace(/<BOA_ADD_OFFSET_VALUES_LIST>[\s\S]*<\/BOA_ADD_OFFSET_VALUES_LIST>/, ''));
    expect(() => productRadiometricOffset(lost, 'P.SAFE')).toThrow(/baseline 05\.10, which stores values with an offset, but its metadata declares no BOA_ADD_OFFSET/);
  });
});

describe('indexing a SAFE product', () => {
  test('the built-in model embeds the zipped product like the stack; a folder is keyed by its band files', async () => {
    const ref = await readIndexFile((await h.ok('buildIndex', { scene: fx.stack })).path);
    const built = await h.ok('buildIndex', { scene: fx.l2aZip });
    expect(built.date).toBe('2024-06-12');
    const e = (await readIndexFile(built.path)).tiles.embeddings;
    const r = ref.tiles.embeddings;
    expect(e.length).toBe(r.length);
    let dot = 0, ne = 0, nr = 0;
    for (let i = 0; i < e.length; i++) { dot += e[i] * r[i]; ne += e[i] * e[i]; nr += r[i] * r[i]; }
    // Measured: 0.99983, as for the folder of band GeoTIFFs (same resampled 20/60 m bands).
    expect(dot / Math.sqrt(ne * nr)).toBeGreaterThanOrEqual(0.999);
    expect(dot / Math.sqrt(ne * nr)).toBeLessThan(1);

    const key = await sceneKey(fx.l2a);
    expect(await sceneKey(fx.l2a)).toBe(key);
    // Same names, one band file cut short: another key.
    expect(await sceneKey(fx.truncatedB05)).not.toBe(key);
    expect(await sceneKey(fx.baseline03)).not.toBe(key);
  }, 60_000);
});
