/// <reference lib="dom" />
// The map shows every kind of scene in true colour, in web mode: a COG with overviews is read as
// it is; a folder of per-band GeoTIFFs, a zipped SAFE product with JPEG 2000 bands and a STAC
// item served over HTTP from 127.0.0.1 (all made with GDAL from a real chip) get a preview, and
// the map canvas shows their imagery, not just the background; while a stack without overviews is
// being prepared the map says so, and opening another scene cancels that preparation.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeBandFiles, type BandFileFixtures } from '../fixtures/make-band-files.ts';
import { makeSafeProducts } from '../fixtures/make-safe.ts';
import { EARTH_SEARCH_ID, earthSearchItem, makeStacFixtures, startRangeServer, urlOf, writeItem, type RangeServer } from '../fixtures/make-stac.ts';
import { demoScene, gdal } from '../helpers/harness.ts';
import { fixture } from '../helpers/fixtures.ts';
import { openBrowser, startWebMode, type BrowserSession, type WebMode } from './helpers/web-mode.ts';

const CHIP = fixture('msclip-examples', '282D_485L_3_3.tif');
let dir: string;
let home: string;
let fx: BandFileFixtures;
let cog: string;
let demo: string;
let web: WebMode;
let b: BrowserSession;
let safeZip: string;
let stacUrl: string;
let server: RangeServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mslens-e2e-preview-'));
  fx = makeBandFiles(CHIP, dir);
  cog = join(dir, 'chip-cog.tif');
  gdal('gdal_translate', ['-q', '-of', 'COG', '-co', 'BLOCKSIZE=64', '-co', 'COMPRESS=DEFLATE', CHIP, cog]);
  demo = (await demoScene(2240)).scenePath;
  await mkdir(join(dir, 'safe'));
  safeZip = makeSafeProducts(CHIP, join(dir, 'safe')).l2aZip;
  const stacRoot = join(dir, 'stac');
  await mkdir(stacRoot);
  const st = makeStacFixtures(CHIP, stacRoot);
  server = await startRangeServer(stacRoot);
  const item = earthSearchItem((band) => urlOf(server, stacRoot, join(st.offsetBands, st.fileOf(band))));
  stacUrl = urlOf(server, stacRoot, writeItem(join(stacRoot, 'items', `${EARTH_SEARCH_ID}.json`), item));
  // Not a first run: the app reopens the COG instead of writing the demo scene.
  home = join(dir, 'home');
  await mkdir(home);
  await writeFile(join(home, 'ui-state.json'), JSON.stringify({ recent: { scenes: [cog], queries: [], classLists: [], indexes: [] } }));
  web = await startWebMode({ home });
  b = await openBrowser({ width: 1280, height: 800 });
}, 180_000);
afterAll(async () => {
  await b?.close();
  await web?.stop();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Patch {
  /** Standard deviation of luminance (0–255): texture. */
  spread: number;
  /** Mean colour. */
  mean: [number, number, number];
}

/** Colour statistics of a square of the map's screenshot centred at (fx, fy), in fractions of the map. */
async function patch(page: Page, fx: number, fy: number, size = 100): Promise<Patch> {
  const box = (await page.getByTestId('map').boundingBox())!;
  const png = await page.screenshot({ clip: { x: box.x + fx * box.width - size / 2, y: box.y + fy * box.height - size / 2, width: size, height: size } });
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, img.width, img.height).data;
    const n = px.length / 4;
    const mean: [number, number, number] = [0, 0, 0];
    let l1 = 0;
    let l2 = 0;
    for (let i = 0; i < px.length; i += 4) {
      mean[0] += px[i] / n; mean[1] += px[i + 1] / n; mean[2] += px[i + 2] / n;
      const l = 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
      l1 += l / n;
      l2 += (l * l) / n;
    }
    return { spread: Math.sqrt(Math.max(0, l2 - l1 * l1)), mean };
  }, png.toString('base64'));
}

const colourDistance = (a: Patch, c: Patch): number => Math.hypot(a.mean[0] - c.mean[0], a.mean[1] - c.mean[1], a.mean[2] - c.mean[2]);

async function openPath(page: Page, path: string): Promise<void> {
  await page.getByTestId('open-scene').click();
  await page.getByTestId('path-input').fill(path);
  await page.getByTestId('path-input').press('Enter');
}

const imageryKind = (page: Page): Promise<string | null> => page.getByTestId('scene-imagery').getAttribute('data-kind');
const previews = async (): Promise<string[]> => (await readdir(join(home, 'previews')).catch(() => [] as string[])).sort();

/** Imagery in the middle of the map (the scene), against the empty map at its left edge. */
async function expectImagery(page: Page): Promise<void> {
  await expect.poll(async () => (await patch(page, 0.5, 0.5)).spread, { timeout: 20_000 }).toBeGreaterThan(8);
  const scene = await patch(page, 0.5, 0.5);
  const empty = await patch(page, 0.04, 0.5, 40);
  expect(empty.spread, 'the map outside the scene is plain').toBeLessThan(4);
  expect(colourDistance(scene, empty), `scene ${scene.mean} vs empty map ${empty.mean}`).toBeGreaterThan(20);
}

describe('the map shows every kind of scene in true colour', () => {
  test('a COG with overviews is read as it is', async () => {
    const { page } = b;
    await page.goto(web.url);
    await page.getByTestId('scene-card').getByText('chip-cog.tif').waitFor({ timeout: 60_000 });
    await expect.poll(() => imageryKind(page)).toBe('scene');
    expect(await page.getByTestId('scene-imagery').innerText()).toMatch(/the scene file · 2 overviews/);
    await expectImagery(page);
    await b.shot('preview-01-cog');
    expect(await previews()).toEqual([]);
  });

  test('a folder of per-band GeoTIFFs gets a preview, and the map shows its imagery', async () => {
    const { page } = b;
    await openPath(page, fx.safe);
    await page.getByTestId('scene-card').getByText(basename(fx.safe)).waitFor({ timeout: 60_000 });
    await expect.poll(() => imageryKind(page), { timeout: 60_000 }).toBe('preview');
    expect(await page.getByTestId('scene-imagery').innerText()).toMatch(/preview 224 × 224 px · 10 m/);
    await expect.poll(() => page.getByTestId('preview-status').count()).toBe(0);
    await expectImagery(page);
    await b.shot('preview-02-band-folder');
    expect(await previews()).toHaveLength(1);
    expect(b.errors).toEqual([]);
  });

  test('a zipped SAFE product (JPEG 2000 bands) and a STAC item over HTTP get previews, and the map shows them', async () => {
    const { page } = b;
    for (const [scene, name, shot] of [[safeZip, basename(safeZip), 'preview-05-safe-zip'], [stacUrl, EARTH_SEARCH_ID, 'preview-06-stac-item']] as const) {
      await openPath(page, scene);
      await page.getByTestId('scene-card').getByText(name).waitFor({ timeout: 60_000 });
      await expect.poll(() => imageryKind(page), { timeout: 60_000 }).toBe('preview');
      await expect.poll(() => page.getByTestId('preview-status').count()).toBe(0);
      await expectImagery(page);
      // A one-tile chip is counted in the singular.
      expect(await page.getByTestId('scene-card').innerText()).toMatch(/1 × 224 px \(1 row, 1 col\)/);
      expect(await page.getByTestId('index-card').innerText()).toMatch(/Embeds its tile once/);
      expect(await page.getByTestId('status-bar').innerText()).toMatch(/1 tile\b/);
      await b.shot(shot);
    }
    expect(await previews()).toHaveLength(3);
    expect(b.errors).toEqual([]);
  });

  test('a stack without overviews shows "preparing" with progress; opening another scene cancels it', async () => {
    const { page } = b;
    await openPath(page, demo);
    const status = page.getByTestId('preview-status');
    await status.waitFor({ timeout: 60_000 });
    expect(await status.innerText()).toMatch(/Preparing the map preview… \d+ %/);
    expect(await imageryKind(page)).toBe('preparing');
    await b.shot('preview-03-preparing');
    // Another scene before the demo's preview is done.
    await openPath(page, fx.earthSearch);
    await page.getByTestId('scene-card').getByText(basename(fx.earthSearch)).waitFor({ timeout: 60_000 });
    await expect.poll(() => imageryKind(page), { timeout: 60_000 }).toBe('preview');
    await expect.poll(() => status.count()).toBe(0);
    await expectImagery(page);
    await b.shot('preview-04-after-cancel');
    // The band folder's preview and this one; none for the cancelled demo, and no temporary files.
    const kinds = async (): Promise<string[]> => (await previews()).map((f) => (/^preview-[0-9a-f]{32}\.tif$/.test(f) ? 'preview' : f));
    await expect.poll(kinds).toEqual(['preview', 'preview', 'preview', 'preview']);
    expect(await page.getByTestId('scene-card').getByTestId('error').count()).toBe(0);
    expect(b.errors).toEqual([]);
  });
});
