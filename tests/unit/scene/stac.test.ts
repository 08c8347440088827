// A scene given as a Sentinel-2 STAC item (local JSON or URL) whose per-band COG assets are read
// over HTTP range requests from a real local server: item parsing in the styles of Earth Search,
// the Planetary Computer and STAC 1.1, offsets, the model input against the 12-band stack, the
// request limit, retries, clear errors, and indexing an item URL end to end.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { MslensError } from '../../../src-main/core/errors.ts';
import { sceneIdOf } from '../../../src-main/core/index/build-index.ts';
import { readIndexFile } from '../../../src-main/core/index/index-store.ts';
import { BAND_TABLE } from '../../../src-main/core/scene/band-table.ts';
import { BandFilesSource } from '../../../src-main/core/scene/band-files-source.ts';
import { GeoTiffSource } from '../../../src-main/core/scene/geotiff-source.ts';
import { openScene } from '../../../src-main/core/scene/open-scene.ts';
import { sceneKey } from '../../../src-main/core/scene/scene-key.ts';
import { openStacItem, type StacItemSource } from '../../../src-main/core/scene/stac/open-stac-item.ts';
import { parseStacItem } from '../../../src-main/core/scene/stac/stac-item.ts';
import type { BandName } from '../../../src-main/core/scene/types.ts';
import { TILE } from '../../fixtures/make-band-files.ts';
import {
  EARTH_SEARCH_ID, ITEM_DATE, PC_ID, STAC11_ID, closedPort, earthSearchItem, makeStacFixtures, planetaryItem, stac11Item,
  startRangeServer, urlOf, writeItem, type RangeServer, type StacFixtures,
} from '../../fixtures/make-stac.ts';
import { REPO, makeHarness, type Harness } from '../../helpers/harness.ts';
import { inputDiffs, modelInput } from '../../helpers/model-input.ts';
import { fixture } from '../../helpers/fixtures.ts';

const CHIP = fixture('msclip-examples', '282D_485L_3_3.tif');
const ALL: BandName[] = ['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B11', 'B12'];
let h: Harness;
let dir: string;
let fx: StacFixtures;
let server: RangeServer;
/** Item URLs and files. */
const at = { earthSearch: '', planetary: '', stac11Url: '', stac11File: '', earthSearchFile: '', missingAsset: '' };

beforeAll(async () => {
  h = await makeHarness();
  dir = await mkdtemp(join(tmpdir(), 'mslens-stac-'));
  fx = makeStacFixtures(CHIP, dir);
  server = await startRangeServer(dir);
  const served = (folder: string) => (b: string): string => urlOf(server, dir, join(folder, fx.fileOf(b)));
  const es = earthSearchItem(served(fx.offsetBands));
  at.earthSearch = urlOf(server, dir, writeItem(join(dir, 'stac', `${EARTH_SEARCH_ID}.json`), es));
  at.earthSearchFile = writeItem(join(dir, 'downloaded-item.json'), es);
  at.planetary = `${server.url}/stac/items/${PC_ID}`;
  writeItem(join(dir, 'stac', 'items', PC_ID), planetaryItem(served(fx.offsetBands)));
  // Relative hrefs: against the item's URL when served, against its folder when opened from disk.
  at.stac11File = writeItem(join(dir, 'stac', 'stac11.json'), stac11Item((b) => `../${fx.safe.split('/').pop()}/${fx.fileOf(b)}`));
  at.stac11Url = urlOf(server, dir, at.stac11File);
  at.missingAsset = urlOf(server, dir, writeItem(join(dir, 'stac', 'missing-asset.json'), earthSearchItem((b) => (b === 'B04' ? `${server.url}/gone/B04.tif` : served(fx.offsetBands)(b)))));
}, 60_000);
afterAll(async () => {
  await server?.close();
  await h?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(() => server?.reset());



/** The planes' bytes, one after the other (toEqual on typed arrays of this size takes seconds). */
const bytesOf = (planes: Float32Array[]): Buffer => Buffer.concat(planes.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));

async function rejection(p: Promise<unknown>): Promise<MslensError> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!(err instanceof MslensError)) throw new Error(`expected an MslensError, got ${String(err)}`);
  return err;
}

describe('reading a STAC item', () => {
  const href = (b: string): string => `https://example.test/tiles/${b}.tif`;

  test('picks one GeoTIFF asset per band in Earth Search, Planetary Computer and STAC 1.1 items', () => {
    const es = parseStacItem(earthSearchItem(href), 'https://example.test/items/x');
    expect(es.bands.map((b) => b.band)).toEqual(ALL);
    expect(es.bands.find((b) => b.band === 'B05')).toEqual({ band: 'B05', key: 'rededge1', href: href('B05'), resolution: 20 });
    expect([es.id, es.date, es.tile]).toEqual([EARTH_SEARCH_ID, ITEM_DATE, TILE]);

    const pc = parseStacItem(planetaryItem(href), 'https://example.test/items/x');
    expect(pc.bands.map((b) => b.key)).toEqual(ALL);
    expect([pc.id, pc.date, pc.tile]).toEqual([PC_ID, ITEM_DATE, TILE]);

    // Relative hrefs resolve against the item's URL; the 60 m twin of B05 loses to the 20 m asset.
    const s11 = parseStacItem(stac11Item((b) => `../bands/${b}.tif`), 'https://example.test/catalog/items/item.json');
    expect(s11.bands.map((b) => b.band)).toEqual(ALL);
    expect(s11.bands.find((b) => b.band === 'B05')).toMatchObject({ key: 'B05_20m', href: 'https://example.test/catalog/bands/B05.tif', resolution: 20 });
    // The tile comes from the item id when no property gives it.
    expect(parseStacItem({ ...stac11Item(href), id: `S2A_T${TILE}_x` }, '/tmp/i.json').tile).toBe(TILE);
    expect(s11.tile).toBe(TILE);
    // Local relative hrefs are %-decoded, and taken as written where a % is not an escape.
    const local = parseStacItem(stac11Item((b) => (b === 'B02' ? './100%_B02.tif' : `./band%20${b}.tif`)), '/data/item.json');
    expect(local.bands.find((b) => b.band === 'B02')?.href).toBe('/data/100%_B02.tif');
    expect(local.bands.find((b) => b.band === 'B03')?.href).toBe('/data/band B03.tif');
  });

  test('the radiometric offset, and which rule decided it', () => {
    const es = (extra: Record<string, unknown>) => parseStacItem(earthSearchItem(href, extra), 'https://example.test/i').offset;
    // raster:bands: scale 0.0001, offset −0.1 → 1000 DN.
    expect(es({})).toMatchObject({ offset: 1000, rule: 'raster:bands' });
    // Earth Search's own flag wins over its raster:bands (Element84: the flag is the truth).
    expect(es({ 'earthsearch:boa_offset_applied': true })).toMatchObject({ offset: 0, rule: 'earthsearch:boa_offset_applied' });
    expect(es({ 'earthsearch:boa_offset_applied': false, 's2:processing_baseline': '03.01' })).toMatchObject({ offset: 0, rule: 's2:processing_baseline' });
    // Without raster:bands: the processing baseline.
    const pc = (baseline: string | undefined) => {
      const item = planetaryItem(href);
      (item.properties as Record<string, unknown>)['s2:processing_baseline'] = baseline;
      return parseStacItem(item, 'https://example.test/i').offset;
    };
    expect(pc('05.10')).toMatchObject({ offset: 1000, rule: 's2:processing_baseline' });
    expect(pc('04.00')).toMatchObject({ offset: 1000, rule: 's2:processing_baseline' });
    expect(pc('03.01')).toMatchObject({ offset: 0, rule: 's2:processing_baseline' });
    expect(pc(undefined)).toMatchObject({ offset: 0, rule: 'none' });
    // STAC 1.1 raster:scale/raster:offset in `bands`.
    expect(parseStacItem(stac11Item(href), '/tmp/i.json').offset).toMatchObject({ offset: 0, rule: 'raster:bands' });
  });

  test('items mslens cannot use are refused with what to do', () => {
    const rescaled = earthSearchItem(href);
    for (const a of Object.values(rescaled.assets)) for (const rb of (a['raster:bands'] as { scale: number }[] | undefined) ?? []) rb.scale = 1;
    expect(() => parseStacItem(rescaled, '/tmp/i.json')).toThrow(/scales its asset coastal \(B01\) by 1, not by 0\.0001 as Sentinel-2 L2A does/);
    const jp2Only = earthSearchItem(href);
    for (const k of Object.keys(jp2Only.assets)) if (!k.endsWith('-jp2')) delete jp2Only.assets[k];
    expect(() => parseStacItem(jp2Only, '/tmp/i.json')).toThrow(/only in formats mslens does not read \(coastal-jp2 \(image\/jp2\).*gdal_translate -of COG/);
    expect(() => parseStacItem({ type: 'FeatureCollection', features: [{}, {}] }, '/tmp/search.json')).toThrow(/FeatureCollection of 2 items .* open one of its items/);
    expect(() => parseStacItem({ type: 'Feature', geometry: null, properties: {} }, '/tmp/f.json')).toThrow(/not a STAC item: it has no stac_version/);
  });
});

describe('a STAC item as a scene', () => {
  let stack: GeoTiffSource;
  beforeAll(async () => { stack = await GeoTiffSource.open(fx.stack); });
  afterAll(async () => { await stack?.close(); });

  test('opens from a URL and from a local JSON file: bands, grid, CRS, date, tile, offset', async () => {
    for (const [where, expected] of [
      [at.earthSearch, { id: EARTH_SEARCH_ID, offset: 1000, rule: 'raster:bands' }],
      [at.earthSearchFile, { id: EARTH_SEARCH_ID, offset: 1000, rule: 'raster:bands' }],
      [at.planetary, { id: PC_ID, offset: 1000, rule: 's2:processing_baseline' }],
      [at.stac11Url, { id: STAC11_ID, offset: 0, rule: 'raster:bands' }],
      [at.stac11File, { id: STAC11_ID, offset: 0, rule: 'raster:bands' }],
    ] as const) {
      const s = (await openScene(where)) as StacItemSource;
      expect(s.info.bands, where).toEqual(ALL);
      expect([s.info.width, s.info.height]).toEqual([224, 224]);
      expect(s.info.transform).toEqual(stack.info.transform);
      expect(s.info.crs).toEqual(stack.info.crs);
      expect([s.info.date, s.info.tile, s.info.radiometricOffset]).toEqual([ITEM_DATE, TILE, expected.offset]);
      expect([s.item.id, s.item.offset.rule]).toEqual([expected.id, expected.rule]);
      expect(sceneIdOf(where)).toBe(expected.id);
      await s.close();
    }
    // Local relative hrefs are files; served ones are URLs.
    const local = (await openScene(at.stac11File)) as StacItemSource;
    expect(local.files.get('B05')).toBe(join(fx.safe, fx.fileOf('B05')));
    await local.close();
    const summary = await h.ok('openScene', { path: at.earthSearch });
    expect(summary).toMatchObject({ path: at.earthSearch, sceneId: EARTH_SEARCH_ID, date: ITEM_DATE, radiometricOffset: 1000, width: 224 });
  });

  test('the model input is the 12-band stack\'s: 10 m bands as they are, 20/60 m within resampling; offsets come off', async () => {
    const ref = await modelInput(stack);
    const plainFolder = await BandFilesSource.open(fx.safe);
    const folder = await modelInput(plainFolder);
    await plainFolder.close();
    for (const where of [at.earthSearch, at.planetary, at.stac11Url, at.stac11File]) {
      const s = await openScene(where);
      const offset = s.info.radiometricOffset;
      const got = await modelInput(s);
      await s.close();
      expect(got.bands).toEqual(ref.bands);
      const vsStack = inputDiffs(ref, got);
      const vsFolder = inputDiffs(folder, got);
      for (const band of ref.bands) {
        const what = `${where} ${band}`;
        // Against the same band files read from disk: the same input. Items over the +1000
        // variant differ only by the float32 rounding of taking 1000 off (measured: max 6e-8).
        if (offset === 0) expect(vsFolder[band], what).toEqual({ max: 0, mean: 0 });
        else expect(vsFolder[band].max, what).toBeLessThan(1e-6);
        // Against the stack: 10 m bands are its values; 20/60 m bands differ by what 2×2
        // averaging and bilinear upsampling lose (measured as in band-files.test.ts: max
        // 0.087–0.097, mean 0.0048–0.0063).
        if (BAND_TABLE[band as 'B02'].resolution === 10) expect(vsStack[band].max, what).toBeLessThan(offset === 0 ? Number.MIN_VALUE : 1e-6);
        else {
          expect(vsStack[band].max, what).toBeLessThan(0.1);
          expect(vsStack[band].mean, what).toBeLessThan(0.0065);
        }
      }
    }
  });

  test('assets are read with Range requests, never more than the limit in flight', async () => {
    server.delayMs = 15;
    const s = await openStacItem(at.earthSearch, { http: { concurrency: 3 } });
    await s.readWindow({ x: 0, y: 0, width: 224, height: 224 }, ALL);
    await s.close();
    const tif = server.log.filter((r) => r.path.endsWith('.tif'));
    expect(tif.length).toBeGreaterThan(24);
    expect(tif.every((r) => r.range !== null && r.status === 206)).toBe(true);
    expect(server.maxInFlight).toBe(3);

    server.reset();
    server.delayMs = 15;
    const d = await openStacItem(at.earthSearch);
    await d.readWindow({ x: 0, y: 0, width: 224, height: 224 }, ALL);
    await d.close();
    expect(server.maxInFlight).toBeGreaterThan(3);
    expect(server.maxInFlight).toBeLessThanOrEqual(8);
  });

  test('503s are retried with backoff, and the values are the same', async () => {
    const win = { x: 0, y: 0, width: 224, height: 224 };
    const good = await openScene(at.earthSearch);
    const expected = await good.readWindow(win, ALL);
    await good.close();
    server.reset();
    server.failNextRanges = 10;
    const s = await openStacItem(at.earthSearch, { http: { retryDelayMs: 20 } });
    expect(bytesOf(await s.readWindow(win, ALL)).equals(bytesOf(expected))).toBe(true);
    await s.close();
    expect(server.log.filter((r) => r.status === 503)).toHaveLength(10);
  });

  test('cancelling a read drops the requests still queued', async () => {
    const s = await openStacItem(at.earthSearch, { http: { concurrency: 1 } });
    server.reset();
    server.delayMs = 100;
    const ac = new AbortController();
    const read = s.readWindow({ x: 0, y: 0, width: 224, height: 224 }, ALL, ac.signal);
    setTimeout(() => ac.abort(), 30);
    expect(await rejection(read)).toMatchObject({ code: 'CANCELLED' });
    await new Promise((r) => setTimeout(r, 300));
    await s.close();
    // The read needs about 80 requests, one at a time, 100 ms each: only the first went out.
    expect(server.log.length).toBeGreaterThanOrEqual(1);
    expect(server.log.length).toBeLessThanOrEqual(2);
  });

  test('an unreachable item or asset, a 404 asset and a silent server give clear errors, quickly', async () => {
    const port = await closedPort();
    let t0 = performance.now();
    const refused = await rejection(openScene(`http://127.0.0.1:${port}/items/${EARTH_SEARCH_ID}`));
    expect(refused.code).toBe('DOWNLOAD_FAILED');
    expect(refused.message).toBe(`Could not reach http://127.0.0.1:${port}/items/${EARTH_SEARCH_ID}: connection refused. Check the network or the URL; mslens reads STAC assets over HTTP range requests.`);
    const assetsRefused = writeItem(join(dir, 'refused-assets.json'), earthSearchItem((b) => `http://127.0.0.1:${port}/${b}.tif?sig=SECRET`));
    const viaItem = await rejection(openScene(assetsRefused));
    expect(viaItem.message).toMatch(new RegExp(`^Could not reach http://127\\.0\\.0\\.1:${port}/B01\\.tif\\?…: connection refused\\.`));
    expect(performance.now() - t0).toBeLessThan(2000);

    t0 = performance.now();
    const missing = await rejection(openScene(at.missingAsset));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toMatch(/^Asset red \(B04\) of the STAC item S2B_22JGQ_20240612_0_L2A is not at http:\/\/127\.0\.0\.1:\d+\/gone\/B04\.tif \(HTTP 404 Not Found\)\. Check the URL/);
    expect(server.log.filter((r) => r.path === '/gone/B04.tif')).toHaveLength(1);
    expect(performance.now() - t0).toBeLessThan(2000);

    server.hang = (p) => p.endsWith('B02_10m.tif');
    const silent = await rejection(openStacItem(at.earthSearch, { http: { timeoutMs: 200, retries: 1, retryDelayMs: 10 } }));
    expect(silent.message).toMatch(/^Could not reach http:\/\/127\.0\.0\.1:\d+\/offset-bands\/T22JGQ_20240612T101031_B02_10m\.tif: no complete answer within 0\.2 s \(2 attempts\)\./);
    expect(await rejection(openScene(join(dir, 'stac', 'nothing.json')))).toMatchObject({ code: 'NOT_FOUND' });
  });

  test('a server that ignores Range: small files are taken whole, big ones refused with the reason', async () => {
    server.ignoreRange = (p) => p.startsWith('/offset-bands/');
    const whole = await openScene(at.earthSearch);
    expect(whole.info.bands).toEqual(ALL);
    await whole.close();
    // One request per file: the whole file came with the first answer.
    const b02 = server.log.filter((r) => r.path.endsWith('B02_10m.tif'));
    expect(b02.map((r) => r.status)).toEqual([200]);
    const err = await rejection(openStacItem(at.earthSearch, { http: { wholeFileLimit: 16 * 1024 } }));
    // B01 (60 m, 3 kB) is small enough to take whole; B02 (70 kB) is not.
    expect(err.message).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/offset-bands\/T22JGQ_20240612T101031_B02_10m\.tif ignores HTTP range requests: asked for bytes 0–16383, it answered HTTP 200 with the whole file \(\d\d kB\)\. mslens reads COG assets part by part with range requests/);
  });
});

describe('indexing an item URL', () => {
  test('embeds like the band folder; named by the item id; cached by the item content', async () => {
    const folder = await readIndexFile((await h.ok('buildIndex', { scene: fx.safe })).path);
    const built = await h.ok('buildIndex', { scene: at.earthSearch });
    expect(built).toMatchObject({ sceneId: EARTH_SEARCH_ID, scenePath: at.earthSearch, cached: false, date: ITEM_DATE });
    const idx = await readIndexFile(built.path);
    const e = idx.tiles.embeddings;
    expect(e.length).toBe(folder.tiles.embeddings.length);
    // The +1000 variant, read over HTTP, against the plain files read from disk (measured: max 6e-8).
    expect(Math.max(...e.map((v, i) => Math.abs(v - folder.tiles.embeddings[i])))).toBeLessThan(1e-6);
    expect((await h.ok('buildIndex', { scene: at.earthSearch })).cached).toBe(true);
    // The local copy of the item has the same content, hence the same key.
    expect(await sceneKey(at.earthSearchFile)).toBe(await sceneKey(at.earthSearch));
  }, 60_000);

  test('`mslens info URL` from the command line', async () => {
    const home = join(dir, 'cli-home');
    const { stdout } = await promisify(execFile)(process.execPath, [join(REPO, 'bin/mslens.mjs'), 'info', at.planetary, '--json'], { env: { ...process.env, MSLENS_HOME: home }, timeout: 60_000 });
    expect(JSON.parse(stdout)).toMatchObject({ path: at.planetary, sceneId: PC_ID, bands: ALL, date: ITEM_DATE, radiometricOffset: 1000 });
  }, 60_000);
});
