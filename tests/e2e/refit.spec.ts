/// <reference lib="dom" />
// The map at 1280×800: it refits to the scene when the window changes while it frames the scene;
// a result zoom keeps neighbours in view; Escape closes the display popover; the legend and the
// scene card fold. Screenshots at 1280×800 and 1920×1080.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openIndexedDemo, type BrowserSession, type WebMode } from './helpers/web-mode.ts';

let web: WebMode;
let b: BrowserSession;

beforeAll(async () => {
  ({ web, b } = await openIndexedDemo({ width: 1280, height: 800 }));
}, 240_000);
afterAll(async () => {
  await b?.close();
  await web?.stop();
});

const map = () => b.page.getByTestId('map');
const fill = async (): Promise<number> => Number(await map().getAttribute('data-scene-fill'));
const inView = async (): Promise<boolean> => (await map().getAttribute('data-scene-in-view')) === 'true';

describe('the map at 1280×800', () => {
  test('refits to the scene when the window shrinks and grows', async () => {
    const { page } = b;
    await expect.poll(inView).toBe(true);
    expect(await fill()).toBeGreaterThan(0.85);
    for (const size of [{ width: 1024, height: 640 }, { width: 1280, height: 800 }, { width: 1600, height: 900 }, { width: 1280, height: 800 }]) {
      await page.setViewportSize(size);
      await expect.poll(inView).toBe(true);
      await expect.poll(fill).toBeGreaterThan(0.85);
    }
    await b.shot('refit-1280x800');
  });

  test('a result zoom keeps about five tiles across, and the map stays put on resize after it', async () => {
    const { page } = b;
    await page.getByTestId('query').fill('water');
    await page.getByTestId('query').press('Enter');
    await page.getByTestId('heat-legend').waitFor();
    await page.locator('[data-testid="results"] li .main').nth(2).click();
    await expect.poll(async () => (await map().getAttribute('data-fitted')), { timeout: 5000 }).toBe('false');
    await page.waitForTimeout(600);
    const box = (await map().boundingBox())!;
    const tilePx = Number(await map().getAttribute('data-tile-px'));
    const across = Math.min(box.width, box.height) / tilePx;
    expect(across).toBeGreaterThanOrEqual(4.5);
    expect(across).toBeLessThanOrEqual(7);
    await b.shot('refit-result-zoom');
    await page.setViewportSize({ width: 1200, height: 760 });
    await page.waitForTimeout(400);
    expect(await map().getAttribute('data-fitted')).toBe('false');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('Escape closes the display popover, which leaves the zoom buttons clear', async () => {
    const { page } = b;
    await page.getByTestId('display-toggle').click();
    const pop = page.getByTestId('display-popover');
    await pop.waitFor();
    const p = (await pop.boundingBox())!;
    const z = (await page.locator('.ol-zoom').boundingBox())!;
    const overlaps = p.x < z.x + z.width && z.x < p.x + p.width && p.y < z.y + z.height && z.y < p.y + p.height;
    expect(overlaps).toBe(false);
    await page.keyboard.press('Escape');
    await expect.poll(() => pop.count()).toBe(0);
  });

  test('the legend folds and moves; the scene card folds', async () => {
    const { page } = b;
    const legend = page.getByTestId('heat-legend');
    const open = (await legend.boundingBox())!;
    await page.getByTestId('legend-fold').click();
    const folded = (await legend.boundingBox())!;
    expect(folded.height).toBeLessThan(open.height / 2);
    await page.getByTestId('legend-move').click();
    const moved = (await legend.boundingBox())!;
    const m = (await map().boundingBox())!;
    expect(moved.x).toBeLessThan(m.x + m.width / 2);
    await page.getByTestId('legend-move').click();
    await page.getByTestId('legend-fold').click();

    const card = page.getByTestId('scene-card');
    const tall = (await card.boundingBox())!.height;
    await page.getByTestId('scene-fold').click();
    expect((await card.boundingBox())!.height).toBeLessThan(tall / 2);
    expect(await page.getByTestId('scene-summary').innerText()).toMatch(/2,240 × 2,240 px · EPSG:32633/);
    await b.shot('refit-folded-1280x800');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await expect.poll(async () => (await map().boundingBox())!.width).toBeGreaterThan(1500);
    await b.shot('refit-1920x1080');
    expect(b.errors).toEqual([]);
  });
});
