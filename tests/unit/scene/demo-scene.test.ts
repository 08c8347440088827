import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromFile } from 'geotiff';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MslensError } from '../../../src-main/core/errors.ts';
import { DEMO_BANDS, DEMO_CLASSES, DEMO_SCL, DEMO_STACK_BANDS, writeDemoScene, type DemoSceneResult } from '../../../src-main/core/scene/demo/demo-scene.ts';
import { openScene } from '../../../src-main/core/scene/open-scene.ts';
import { DEMO_CLASS, DEMO_SPECTRA } from '../../../src-main/core/scene/demo/demo-spectra.ts';

const root = mkdtempSync(join(tmpdir(), 'mslens-demo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SIZE = 2240;
const TILE = 224; // the model's tile: a 10 × 10 grid at 2240
const NB = DEMO_BANDS.length;
/** Samples per pixel of the stack: the 12 bands, then the SCL. */
const NS = DEMO_STACK_BANDS.length;
const SCL = NS - 1;
const band = (id: string): number => DEMO_BANDS.indexOf(id as (typeof DEMO_BANDS)[number]);

let demo: DemoSceneResult;
let truth: Uint8Array;
let scene: Int16Array;
const progress: [number, number][] = [];

beforeAll(async () => {
  demo = await writeDemoScene({ outDir: join(root, 'full'), onProgress: (d, t) => progress.push([d, t]) });
  const t = await (await fromFile(demo.truthPath)).getImage();
  truth = (await t.readRasters({ interleave: true })) as unknown as Uint8Array;
  const s = await (await fromFile(demo.scenePath)).getImage();
  scene = (await s.readRasters({ interleave: true })) as unknown as Int16Array;
});

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const name = (code: number): string => DEMO_CLASSES[code].name;

describe('writeDemoScene', () => {
  test('writes a 12-band int16 L2A scene with its SCL, and a uint8 truth raster on the same grid', async () => {
    expect(demo.scenePath).toBe(join(root, 'full', 'demo-s2l2a-2240.tif'));
    expect(demo.truthPath).toBe(join(root, 'full', 'demo-s2l2a-2240-truth.tif'));
    expect(demo.legend).toEqual(DEMO_CLASSES.map((c) => ({ code: c.code, name: c.name })));
    expect(demo.legend.map((c) => c.name)).toEqual(['nodata', 'water', 'forest', 'cropland', 'built-up', 'bare', 'snow', 'cloud']);
    expect(progress.at(-1)).toEqual([81, 81]);
    expect(progress.every(([d], i) => d === i + 1)).toBe(true);

    const s = await (await fromFile(demo.scenePath)).getImage();
    const t = await (await fromFile(demo.truthPath)).getImage();
    expect([s.getWidth(), s.getHeight(), s.getSamplesPerPixel(), s.getBitsPerSample()]).toEqual([SIZE, SIZE, 13, 16]);
    expect(s.getSampleFormat()).toBe(2);
    expect([t.getWidth(), t.getHeight(), t.getSamplesPerPixel(), t.getBitsPerSample()]).toEqual([SIZE, SIZE, 1, 8]);
    for (const img of [s, t]) {
      expect(img.getOrigin()).toEqual([399960, 5400000, 0]);
      expect(img.getResolution()).toEqual([10, -10, 0]);
      expect(img.getTileWidth()).toBe(256);
      expect(img.getGDALNoData()).toBe(0);
      expect((img.getGeoKeys() as Record<string, unknown>).ProjectedCSTypeGeoKey).toBe(32633);
    }
    // One at a time: concurrent getGDALMetadata calls on one image race in geotiff.js 3.0.5.
    const descriptions: unknown[] = [];
    for (let i = 0; i < NS; i++) descriptions.push((await s.getGDALMetadata(i))?.DESCRIPTION);
    expect(descriptions).toEqual([...DEMO_BANDS, 'SCL']);
    expect(await s.getGDALMetadata()).toMatchObject({ ACQUISITION_DATE: '2024-06-12', MGRS_TILE: '33UUP', SYNTHETIC: 'YES' });
    // The scene carries its date and MGRS tile (the demo sits on T33UUP's grid).
    const opened = await openScene(demo.scenePath);
    expect([opened.info.date, opened.info.tile]).toEqual(['2024-06-12', '33UUP']);
    await opened.close();
  });

  test('GDAL sees the CRS, geotransform, nodata and band descriptions', () => {
    const run = spawnSync('gdalinfo', ['-json', demo.scenePath], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const info = JSON.parse(run.stdout) as {
      geoTransform: number[];
      coordinateSystem: { wkt: string };
      metadata: Record<string, Record<string, string>>;
      bands: { description?: string; noDataValue?: number; type: string }[];
    };
    expect(info.geoTransform).toEqual([399960, 10, 0, 5400000, 0, -10]);
    expect(info.coordinateSystem.wkt).toMatch(/ID\["EPSG",32633\]\]\s*$/);
    expect(info.bands.map((b) => b.description)).toEqual([...DEMO_BANDS, 'SCL']);
    expect(new Set(info.bands.map((b) => b.noDataValue))).toEqual(new Set([0]));
    expect(new Set(info.bands.map((b) => b.type))).toEqual(new Set(['Int16']));
    expect(info.metadata['']).toMatchObject({ ACQUISITION_DATE: '2024-06-12', BOA_ADD_OFFSET: '0' });
  });

  test('per-tile majority classes: enough of each main class, few bare/cloud/nodata', () => {
    const n = SIZE / TILE;
    const majority = new Array<number>(8).fill(0);
    const pure = new Array<number>(8).fill(0);
    const map: string[] = [];
    for (let ty = 0; ty < n; ty++) {
      let row = '';
      for (let tx = 0; tx < n; tx++) {
        const counts = new Array<number>(8).fill(0);
        for (let y = ty * TILE; y < (ty + 1) * TILE; y++) {
          for (let x = tx * TILE; x < (tx + 1) * TILE; x++) counts[truth[y * SIZE + x]]++;
        }
        const top = counts.indexOf(Math.max(...counts));
        majority[top]++;
        if (counts[top] > 0.7 * TILE * TILE) pure[top]++;
        row += ' ' + '.WFCUBSK'[top];
      }
      map.push(row);
    }
    console.log(
      `Majority class per 224-px tile at ${SIZE} (W water, F forest, C cropland, U built-up, B bare, S snow, K cloud, . nodata):\n` +
        map.join('\n') +
        '\n' +
        DEMO_CLASSES.map((c) => `${c.name}: ${majority[c.code]} tiles (${pure[c.code]} over 70 %)`).join('\n'),
    );
    for (const code of [DEMO_CLASS.water, DEMO_CLASS.forest, DEMO_CLASS.cropland, DEMO_CLASS.builtUp, DEMO_CLASS.snow]) {
      expect(majority[code], name(code)).toBeGreaterThanOrEqual(12);
      expect(pure[code], `${name(code)} tiles over 70 %`).toBeGreaterThanOrEqual(8);
    }
    expect(majority[DEMO_CLASS.bare] + majority[DEMO_CLASS.cloud] + majority[DEMO_CLASS.nodata]).toBeLessThanOrEqual(8);
  });

  test('every class is present, and nodata is a small corner wedge', () => {
    const counts = new Array<number>(8).fill(0);
    for (const c of truth) counts[c]++;
    for (const c of DEMO_CLASSES) expect(counts[c.code], c.name).toBeGreaterThan(0);
    expect(counts[DEMO_CLASS.nodata] / truth.length).toBeLessThan(0.03);
    expect(truth[(SIZE - 1) * SIZE]).toBe(DEMO_CLASS.nodata); // south-west corner
    expect(truth[SIZE - 1]).not.toBe(DEMO_CLASS.nodata); // north-east corner
  });

  test('nodata pixels are 0 in every band, valid pixels never are', () => {
    let badNodata = 0;
    let badValid = 0;
    for (let p = 0; p < truth.length; p++) {
      const o = p * NS;
      for (let b = 0; b < NS; b++) {
        if (truth[p] === DEMO_CLASS.nodata ? scene[o + b] !== 0 : scene[o + b] < 1) {
          if (truth[p] === DEMO_CLASS.nodata) badNodata++;
          else badValid++;
        }
      }
    }
    expect(badNodata).toBe(0);
    expect(badValid).toBe(0);
  });

  test('the SCL band agrees with the truth, and one tile (r001c000) is mostly cloud', () => {
    const ground: Record<number, number> = {
      [DEMO_CLASS.water]: DEMO_SCL.water, [DEMO_CLASS.forest]: DEMO_SCL.vegetation, [DEMO_CLASS.cropland]: DEMO_SCL.vegetation,
      [DEMO_CLASS.builtUp]: DEMO_SCL.notVegetated, [DEMO_CLASS.bare]: DEMO_SCL.notVegetated, [DEMO_CLASS.snow]: DEMO_SCL.snow,
    };
    const n = SIZE / TILE;
    const cloudy = new Float64Array(n * n);
    const shadow = new Float64Array(n * n);
    let wrong = 0;
    for (let p = 0; p < truth.length; p++) {
      const t = truth[p];
      const k = scene[p * NS + SCL];
      if (t === DEMO_CLASS.nodata) wrong += k === DEMO_SCL.noData ? 0 : 1;
      else if (t === DEMO_CLASS.cloud) wrong += k === DEMO_SCL.cloudHigh ? 0 : 1;
      // Thin cloud edges and cloud shadows hide the ground's class; nothing else may.
      else if (k !== DEMO_SCL.cloudMedium && k !== DEMO_SCL.cloudShadow) wrong += k === ground[t] ? 0 : 1;
      const tile = Math.floor(Math.floor(p / SIZE) / TILE) * n + Math.floor((p % SIZE) / TILE);
      if (k === DEMO_SCL.cloudHigh || k === DEMO_SCL.cloudMedium) cloudy[tile]++;
      if (k === DEMO_SCL.cloudShadow) shadow[tile]++;
    }
    expect(wrong).toBe(0);
    const frac = Array.from(cloudy, (c) => c / (TILE * TILE));
    console.log(`SCL cloud fraction per 224-px tile over 1 %:\n${frac.map((f, i) => [`r${String(Math.floor(i / n)).padStart(3, '0')}c${String(i % n).padStart(3, '0')}`, f] as const).filter(([, f]) => f > 0.01).map(([id, f]) => `${id} ${(f * 100).toFixed(1)} %`).join('\n')}`);
    expect(frac[n]).toBeGreaterThan(0.6); // r001c000
    expect(frac.filter((f) => f > 0.5)).toHaveLength(1);
    expect(frac.filter((f) => f > 0.02).length).toBeGreaterThanOrEqual(5); // the small clouds show too
    expect(shadow[0] / (TILE * TILE)).toBeGreaterThan(0.02); // the big cloud's shadow reaches r000c000
  });

  test('spectra are physically plausible per class', () => {
    // Mean of each band per truth class.
    const sums = Array.from({ length: 8 }, () => new Float64Array(NB));
    const counts = new Array<number>(8).fill(0);
    const ndsiSnow: number[] = [];
    for (let p = 0; p < truth.length; p++) {
      const c = truth[p];
      counts[c]++;
      const o = p * NS;
      for (let b = 0; b < NB; b++) sums[c][b] += scene[o + b];
      if (c === DEMO_CLASS.snow && (p & 15) === 0) {
        const g = scene[o + band('B03')];
        const s = scene[o + band('B11')];
        ndsiSnow.push((g - s) / (g + s));
      }
    }
    const mean = (c: number, id: string): number => sums[c][band(id)] / counts[c];
    const nd = (c: number, a: string, b: string): number => (mean(c, a) - mean(c, b)) / (mean(c, a) + mean(c, b));
    const { water, forest, cropland, builtUp, bare, snow, cloud } = DEMO_CLASS;

    expect(mean(water, 'B08')).toBeLessThan(300);
    expect(mean(water, 'B11')).toBeLessThan(150);
    expect(nd(forest, 'B08', 'B04')).toBeGreaterThan(0.6); // NDVI
    expect(mean(forest, 'B05')).toBeLessThan(mean(forest, 'B06'));
    expect(mean(forest, 'B06')).toBeLessThan(mean(forest, 'B07'));
    expect(nd(cropland, 'B08', 'B04')).toBeGreaterThan(0.45);
    expect(nd(builtUp, 'B11', 'B08')).toBeGreaterThan(0); // NDBI
    expect(nd(builtUp, 'B08', 'B04')).toBeLessThan(0.4);
    expect(mean(bare, 'B11')).toBeGreaterThan(mean(bare, 'B08'));
    expect(mean(bare, 'B04')).toBeGreaterThan(mean(bare, 'B02'));
    expect(nd(snow, 'B03', 'B11')).toBeGreaterThan(0.6); // NDSI
    expect(ndsiSnow.reduce((a, b) => a + b, 0) / ndsiSnow.length).toBeGreaterThan(0.6);
    expect(mean(snow, 'B03')).toBeGreaterThan(5000);
    expect(mean(cloud, 'B02')).toBeGreaterThan(3500);
    expect(mean(cloud, 'B11')).toBeGreaterThan(2500);
    expect(nd(cloud, 'B03', 'B11')).toBeLessThan(0.3); // not snow
  });

  test('the spectra table itself has the physical signatures', () => {
    const r = (id: string, b: string): number => DEMO_SPECTRA.find((m) => m.id === id)!.reflectance[band(b)];
    for (const m of DEMO_SPECTRA) {
      expect(m.reflectance).toHaveLength(12);
      expect(m.reflectance.every((v) => v > 0 && v < 1)).toBe(true);
    }
    for (const id of ['forest-conifer', 'forest-broadleaf', 'crop-green', 'grass']) {
      expect(r(id, 'B05')).toBeLessThan(r(id, 'B06'));
      expect(r(id, 'B06')).toBeLessThan(r(id, 'B07'));
    }
    for (const id of ['snow-fresh', 'snow-old']) expect((r(id, 'B03') - r(id, 'B11')) / (r(id, 'B03') + r(id, 'B11'))).toBeGreaterThan(0.8);
    for (const id of ['builtup-asphalt', 'builtup-concrete', 'builtup-tile-roof']) expect(r(id, 'B11')).toBeGreaterThan(r(id, 'B08'));
    for (const id of ['water-clear', 'water-turbid']) expect(r(id, 'B08')).toBeLessThan(0.02);
  });

  test('the landscape is the same at every size', async () => {
    const small = await writeDemoScene({ outDir: join(root, 'small'), size: 448 });
    const t = (await (await (await fromFile(small.truthPath)).getImage()).readRasters({ interleave: true })) as unknown as Uint8Array;
    let same = 0;
    for (let y = 0; y < 448; y++) for (let x = 0; x < 448; x++) if (t[y * 448 + x] === truth[(5 * y + 2) * SIZE + 5 * x + 2]) same++;
    expect(same / (448 * 448)).toBeGreaterThan(0.9);
  });

  test('is deterministic: same seed and size give byte-identical files', async () => {
    const a = await writeDemoScene({ outDir: join(root, 'det-a'), size: 448, seed: 3 });
    const b = await writeDemoScene({ outDir: join(root, 'det-b'), size: 448, seed: 3 });
    const c = await writeDemoScene({ outDir: join(root, 'det-c'), size: 448, seed: 4 });
    expect(sha(a.scenePath)).toBe(sha(b.scenePath));
    expect(sha(a.truthPath)).toBe(sha(b.truthPath));
    expect(sha(a.scenePath)).not.toBe(sha(c.scenePath));
  });

  test('honours an abort signal between blocks and leaves no files', async () => {
    const outDir = join(root, 'abort');
    const ac = new AbortController();
    const run = writeDemoScene({ outDir, size: 600, signal: ac.signal, onProgress: (done) => done === 2 && ac.abort() });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(readdirSync(outDir)).toEqual([]);
  });

  test('rejects sizes it cannot make', async () => {
    await expect(writeDemoScene({ outDir: join(root, 'bad'), size: 20000 })).rejects.toBeInstanceOf(MslensError);
    await expect(writeDemoScene({ outDir: join(root, 'bad'), size: 100.5 })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});
