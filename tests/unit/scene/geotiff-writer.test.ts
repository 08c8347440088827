import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromFile } from 'geotiff';
import { afterAll, describe, expect, test } from 'vitest';
import { MslensError } from '../../../src-main/core/errors.ts';
import { createGeoTiffWriter, type GeoTiffWriterOptions, type TileData } from '../../../src-main/core/scene/geotiff-writer.ts';
import type { GeoTransform } from '../../../src-main/core/scene/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'mslens-gtw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TRANSFORM: GeoTransform = [399960, 10, 0, 5400000, 0, -10];
const BANDS = ['B02', 'B03', 'B04'];

/** The value every test raster holds at (x, y, band); never 0, so 0 can mean nodata. */
const valueAt = (x: number, y: number, b: number): number => ((x * 7 + y * 13 + b * 1001) % 30000) + 1;

type Opts = Omit<GeoTiffWriterOptions, 'path'> & { name: string };

function baseOptions(name: string, extra: Partial<Opts> = {}): Opts {
  return {
    name,
    width: 300,
    height: 200,
    bandCount: 3,
    sampleType: 'int16',
    tileSize: 64,
    transform: TRANSFORM,
    epsg: 32633,
    nodata: 0,
    bandDescriptions: BANDS,
    metadata: { ACQUISITION_DATE: '2024-06-12', NOTE: 'a <b> & "c"' },
    ...extra,
  };
}

function makeTile(o: Opts, tx: number, ty: number): TileData {
  const t = o.tileSize ?? 256;
  const ctor = { int16: Int16Array, uint8: Uint8Array, uint16: Uint16Array, float32: Float32Array }[o.sampleType as 'int16'];
  const data = new ctor(t * t * o.bandCount);
  const fill = o.nodata ?? 0;
  for (let y = 0; y < t; y++) {
    for (let x = 0; x < t; x++) {
      const gx = tx * t + x;
      const gy = ty * t + y;
      const inside = gx < o.width && gy < o.height;
      for (let b = 0; b < o.bandCount; b++) {
        const v = valueAt(gx, gy, b);
        data[(y * t + x) * o.bandCount + b] = inside ? (o.sampleType === 'uint8' ? (v % 254) + 1 : v) : fill;
      }
    }
  }
  return data;
}

/** Writes a raster tile by tile, in a scrambled order, optionally skipping some tiles. */
async function writeRaster(o: Opts, opts: { skip?: (tx: number, ty: number) => boolean; async?: boolean } = {}): Promise<string> {
  const path = join(dir, o.name);
  const w = createGeoTiffWriter({ ...o, path });
  const order: [number, number][] = [];
  for (let ty = 0; ty < w.tilesDown; ty++) for (let tx = 0; tx < w.tilesAcross; tx++) order.push([tx, ty]);
  order.sort((a, b) => ((a[0] * 31 + a[1] * 17) % 7) - ((b[0] * 31 + b[1] * 17) % 7));
  const pending: Promise<void>[] = [];
  for (const [tx, ty] of order) {
    if (opts.skip?.(tx, ty)) continue;
    if (opts.async) pending.push(w.writeTileAsync(tx, ty, makeTile(o, tx, ty)));
    else w.writeTile(tx, ty, makeTile(o, tx, ty));
  }
  await Promise.all(pending);
  await w.close();
  return path;
}

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

async function checkWindow(path: string, o: Opts, win: [number, number, number, number]): Promise<void> {
  const image = await (await fromFile(path)).getImage();
  const rasters = (await image.readRasters({ window: win })) as unknown as ArrayLike<number>[];
  const [x0, y0, x1, y1] = win;
  let mismatches = 0;
  for (let b = 0; b < o.bandCount; b++) {
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const v = valueAt(x, y, b);
        const expected = o.sampleType === 'uint8' ? (v % 254) + 1 : v;
        if (rasters[b][(y - y0) * (x1 - x0) + (x - x0)] !== expected) mismatches++;
      }
    }
  }
  expect(mismatches).toBe(0);
}

describe('createGeoTiffWriter', () => {
  test('round-trips a multi-band int16 raster through geotiff.js', async () => {
    const o = baseOptions('int16.tif');
    const path = await writeRaster(o);
    const tiff = await fromFile(path);
    const image = await tiff.getImage();
    expect(await tiff.getImageCount()).toBe(1);
    expect([image.getWidth(), image.getHeight(), image.getSamplesPerPixel()]).toEqual([300, 200, 3]);
    expect([image.getTileWidth(), image.getTileHeight()]).toEqual([64, 64]);
    expect(image.getOrigin()).toEqual([399960, 5400000, 0]);
    expect(image.getResolution()).toEqual([10, -10, 0]);
    expect(image.getGDALNoData()).toBe(0);
    expect(image.fileDirectory.getValue('PlanarConfiguration')).toBe(1);
    expect(image.fileDirectory.getValue('Compression')).toBe(8);
    const geoKeys = image.getGeoKeys() as Record<string, unknown>;
    expect(geoKeys.ProjectedCSTypeGeoKey).toBe(32633);
    expect(geoKeys.GTModelTypeGeoKey).toBe(1);
    expect(geoKeys.GTRasterTypeGeoKey).toBe(1);
    expect(await image.getGDALMetadata()).toMatchObject({ ACQUISITION_DATE: '2024-06-12' });
    expect(await image.getGDALMetadata(2)).toEqual({ DESCRIPTION: 'B04' });
    // Windows inside one tile, across tile seams, and over the padded right/bottom edge tiles.
    await checkWindow(path, o, [0, 0, 300, 200]);
    await checkWindow(path, o, [60, 60, 70, 70]);
    await checkWindow(path, o, [250, 150, 300, 200]);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  test('writes uncompressed, uint8, float32 and BigTIFF variants', async () => {
    const cases: Opts[] = [
      baseOptions('none.tif', { compression: 'none' }),
      baseOptions('uint8.tif', { sampleType: 'uint8', bandCount: 1, bandDescriptions: ['CLASS'], tileSize: 128 }),
      baseOptions('float32.tif', { sampleType: 'float32', nodata: Number.NaN, deflateLevel: 1 }),
      baseOptions('big.tif', { bigTiff: true, tileSize: 256, metadata: {} }),
    ];
    for (const o of cases) {
      const path = await writeRaster(o);
      await checkWindow(path, o, [0, 0, o.width, o.height]);
      const image = await (await fromFile(path)).getImage();
      expect(image.getOrigin()).toEqual([399960, 5400000, 0]);
    }
    const big = readFileSync(join(dir, 'big.tif'));
    expect(big.readUInt16LE(2)).toBe(43);
    expect(readFileSync(join(dir, 'none.tif')).readUInt16LE(2)).toBe(42);
  });

  test('writeTileAsync produces the same bytes as writeTile', async () => {
    const a = await writeRaster(baseOptions('sync.tif'));
    const b = await writeRaster(baseOptions('async.tif'), { async: true });
    expect(sha(a)).toBe(sha(b));
  });

  test('tiles never written read back as nodata', async () => {
    const o = baseOptions('sparse.tif');
    const path = await writeRaster(o, { skip: (tx, ty) => tx === 1 && ty === 1 });
    const image = await (await fromFile(path)).getImage();
    const [band] = (await image.readRasters({ window: [64, 64, 128, 128], samples: [0] })) as unknown as Int16Array[];
    expect(band.every((v) => v === 0)).toBe(true);
    await checkWindow(path, o, [0, 0, 64, 200]);
  });

  test('the final file appears only on close; abort leaves nothing behind', async () => {
    const o = baseOptions('atomic.tif');
    const path = join(dir, o.name);
    const w = createGeoTiffWriter({ ...o, path });
    w.writeTile(0, 0, makeTile(o, 0, 0));
    expect(existsSync(path)).toBe(false);
    expect(existsSync(join(dir, `.atomic.tif.tmp-${process.pid}`))).toBe(true);
    await w.close();
    expect(existsSync(path)).toBe(true);
    expect(existsSync(join(dir, `.atomic.tif.tmp-${process.pid}`))).toBe(false);

    const aborted = createGeoTiffWriter({ ...o, path: join(dir, 'aborted.tif') });
    aborted.writeTile(0, 0, makeTile(o, 0, 0));
    await aborted.abort();
    await aborted.abort();
    expect(readdirSync(dir).filter((f) => f.includes('aborted'))).toEqual([]);
    expect(() => aborted.writeTile(1, 0, makeTile(o, 1, 0))).toThrow(MslensError);
  });

  test('rejects bad arguments with actionable errors', async () => {
    const o = baseOptions('bad.tif');
    const path = join(dir, o.name);
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        return err instanceof MslensError ? err.code : 'not an MslensError';
      }
      return 'no error';
    };
    expect(code(() => createGeoTiffWriter({ ...o, path, tileSize: 100 }))).toBe('BAD_ARGUMENT');
    expect(code(() => createGeoTiffWriter({ ...o, path, transform: [0, 10, 1, 0, 0, -10] }))).toBe('BAD_ARGUMENT');
    expect(code(() => createGeoTiffWriter({ ...o, path, nodata: 70000 }))).toBe('BAD_ARGUMENT');
    expect(code(() => createGeoTiffWriter({ ...o, path, bandDescriptions: ['B02'] }))).toBe('BAD_ARGUMENT');
    expect(code(() => createGeoTiffWriter({ ...o, path: join(dir, 'missing-folder', 'x.tif') }))).toBe('BAD_ARGUMENT');
    const w = createGeoTiffWriter({ ...o, path });
    expect(code(() => w.writeTile(5, 0, makeTile(o, 0, 0)))).toBe('BAD_ARGUMENT');
    expect(code(() => w.writeTile(0, 0, new Int16Array(10)))).toBe('BAD_ARGUMENT');
    expect(code(() => w.writeTile(0, 0, new Uint16Array(64 * 64 * 3)))).toBe('BAD_ARGUMENT');
    w.writeTile(0, 0, makeTile(o, 0, 0));
    expect(code(() => w.writeTile(0, 0, makeTile(o, 0, 0)))).toBe('BAD_ARGUMENT');
    await w.abort();
    expect(existsSync(path)).toBe(false);
  });

  test('GDAL reads the CRS, geotransform, nodata, descriptions, metadata and pixels', async () => {
    const o = baseOptions('gdal.tif');
    const path = await writeRaster(o);
    const big = await writeRaster(baseOptions('gdal-big.tif', { bigTiff: true }));
    for (const p of [path, big]) {
      const run = spawnSync('gdalinfo', ['-json', '-checksum', p], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(run.stderr).not.toMatch(/ERROR/);
      const info = JSON.parse(run.stdout) as {
        size: number[];
        geoTransform: number[];
        coordinateSystem: { wkt: string };
        metadata: Record<string, Record<string, string>>;
        bands: { description?: string; noDataValue?: number; type: string; block: number[] }[];
      };
      expect(info.size).toEqual([300, 200]);
      expect(info.geoTransform).toEqual([399960, 10, 0, 5400000, 0, -10]);
      expect(info.coordinateSystem.wkt).toContain('WGS 84 / UTM zone 33N');
      expect(info.coordinateSystem.wkt).toMatch(/ID\["EPSG",32633\]\]\s*$/);
      expect(info.metadata['']).toMatchObject({ ACQUISITION_DATE: '2024-06-12', AREA_OR_POINT: 'Area', NOTE: 'a <b> & "c"' });
      expect(info.metadata.IMAGE_STRUCTURE).toMatchObject({ COMPRESSION: 'DEFLATE', INTERLEAVE: 'PIXEL' });
      expect(info.bands.map((b) => b.description)).toEqual(BANDS);
      expect(info.bands.map((b) => b.noDataValue)).toEqual([0, 0, 0]);
      expect(info.bands.map((b) => b.type)).toEqual(['Int16', 'Int16', 'Int16']);
      expect(info.bands[0].block).toEqual([64, 64]);
    }
    // Pixel values through GDAL, at the last pixel of an edge tile.
    const loc = spawnSync('gdallocationinfo', ['-valonly', path, '299', '199'], { encoding: 'utf8' });
    expect(loc.status).toBe(0);
    expect(loc.stdout.trim().split(/\s+/).map(Number)).toEqual([0, 1, 2].map((b) => valueAt(299, 199, b)));
  });
});
