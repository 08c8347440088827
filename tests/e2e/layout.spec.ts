/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The UI holds up at 1280×800 and 1920×1080: nothing overflows, the panels, map, legend and
// status bar are all on screen, and the results list shows enough rows. Saves screenshots.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoScene } from '../helpers/harness.ts';
import { openBrowser, startWebMode, type BrowserSession, type WebMode } from './helpers/web-mode.ts';

let web: WebMode;

beforeAll(async () => {
  web = await startWebMode();
  // A returning analyst: the demo scene was indexed in an earlier session.
  const scene = (await demoScene(2240)).scenePath;
  const index = await web.call<{ path: string }>('buildIndex', { scene });
  await web.call('saveAppState', { recent: { scenes: [scene], indexes: [{ scene, index: index.path }], queries: ['snow', 'forest'] } });
}, 180_000);
afterAll(() => web?.stop());

async function expectTidy(b: BrowserSession, size: { width: number; height: number }): Promise<void> {
  const m = await b.page.evaluate(() => {
    const rect = (sel: string) => { const r = document.querySelector(sel)?.getBoundingClientRect(); return r ? { x: r.x, y: r.y, w: r.width, h: r.height, bottom: r.bottom, right: r.right } : null; };
    const side = document.querySelector('.side')!;
    const panel = document.querySelector('.tabpanel')!;
    const overflowing = [...document.querySelectorAll('.side *')].filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.right > side.getBoundingClientRect().right + 1;
    }).map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`);
    return {
      scrollW: document.documentElement.scrollWidth, scrollH: document.documentElement.scrollHeight,
      side: rect('.side'), map: rect('[data-testid="map"]'), status: rect('[data-testid="status-bar"]'), legend: rect('.legend'),
      topbar: rect('.topbar'), rows: [...document.querySelectorAll('[data-testid="results"] li')].filter((li) => {
        const r = li.getBoundingClientRect();
        const p = panel.getBoundingClientRect();
        return r.top >= p.top && r.bottom <= p.bottom;
      }).length,
      overflowing,
    };
  });
  expect(m.scrollW).toBeLessThanOrEqual(size.width);
  expect(m.scrollH).toBeLessThanOrEqual(size.height);
  expect(m.overflowing).toEqual([]);
  expect(m.side!.w).toBeGreaterThanOrEqual(320);
  expect(m.map!.w).toBeGreaterThanOrEqual(size.width - 400);
  expect(m.status!.bottom).toBeLessThanOrEqual(size.height);
  expect(m.legend!.right).toBeLessThanOrEqual(size.width);
  expect(m.legend!.x).toBeGreaterThan(m.side!.right);
  expect(m.rows).toBeGreaterThanOrEqual(size.height >= 1000 ? 12 : 5);
}

describe.each([
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
])('at $width×$height', (size) => {
  let b: BrowserSession;
  beforeAll(async () => { b = await openBrowser(size); });
  afterAll(() => b?.close());

  test('a returning analyst gets the last scene and its index back', async () => {
    await b.page.goto(web.url);
    await b.page.getByTestId('index-card').getByText('Indexed').waitFor({ timeout: 60_000 });
    expect(await b.page.getByTestId('hint').count()).toBe(0);
  });

  test('search results, heat legend and status bar fit', async () => {
    const { page } = b;
    await page.getByTestId('query').fill('water');
    await page.getByTestId('query').press('Enter');
    await page.getByTestId('heat-legend').waitFor();
    await page.waitForTimeout(1500);
    await expectTidy(b, size);
    await b.shot(`layout-${size.width}x${size.height}-search`);
  });

  test('classification and its legend fit', async () => {
    const { page } = b;
    await page.getByTestId('tab-classify').click();
    await page.getByRole('button', { name: 'EuroSAT' }).click();
    await page.getByTestId('run-classify').click();
    await page.getByTestId('class-legend').waitFor();
    await page.waitForTimeout(800);
    const m = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, sh: document.documentElement.scrollHeight }));
    expect(m.sw).toBeLessThanOrEqual(size.width);
    expect(m.sh).toBeLessThanOrEqual(size.height);
    await b.shot(`layout-${size.width}x${size.height}-classify`);
  });

  test('the models panel fits', async () => {
    await b.page.getByTestId('tab-models').click();
    await b.page.getByTestId('models').waitFor();
    expect(await b.page.getByTestId('providers').innerText()).toMatch(/CPU/);
    await b.shot(`layout-${size.width}x${size.height}-models`);
    expect(b.errors).toEqual([]);
  });
});
