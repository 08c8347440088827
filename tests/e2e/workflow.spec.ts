/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The analyst's whole workflow in web mode: first run opens the demo, index it, search "water",
// classify, find similar and refine, export GeoJSON. Outlined tiles are checked against the
// demo's ground truth, the export against RFC 7946.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEMO_CLASSES } from '../../src-main/core/scene/demo/demo-scene.ts';
import { truthFractions } from '../helpers/harness.ts';
import { openBrowser, startWebMode, type BrowserSession, type WebMode } from './helpers/web-mode.ts';
import { expectValidFeatureCollection } from './helpers/geojson-checks.ts';

let web: WebMode;
let b: BrowserSession;
const WATER = DEMO_CLASSES.findIndex((c) => c.name === 'water');

beforeAll(async () => {
  web = await startWebMode();
  b = await openBrowser({ width: 1440, height: 900 });
});
afterAll(async () => {
  await b?.close();
  await web?.stop();
});

const outlined = async (): Promise<string[]> => ((await b.page.getByTestId('map-outlines').getAttribute('data-tiles')) ?? '').split(',').filter(Boolean);

describe('web mode, first run to export', () => {
  test('the first run writes and opens the demo scene, with a hint of what to type', async () => {
    const { page } = b;
    await page.goto(web.url);
    await expect.poll(() => page.url()).toBe(`${web.origin}/`); // the token left the address bar
    const card = page.getByTestId('scene-card');
    await card.getByText('demo-s2l2a-2240.tif').waitFor({ timeout: 90_000 });
    const text = await card.innerText();
    expect(text).toMatch(/2,240 × 2,240 px/);
    expect(text).toMatch(/EPSG:32633/);
    expect(text).toMatch(/2024-06-12/);
    for (const band of ['B02', 'B03', 'B04', 'B08', 'B11', 'B12']) expect(text).toContain(band);
    await expect.poll(() => page.getByTestId('hint').innerText()).toMatch(/water/);
    await page.waitForTimeout(2500); // the true-colour tiles stream in
    await b.shot('01-first-run');
  });

  test('indexing shows a moving progress bar with tiles/s and ETA, and a cancel button', async () => {
    const { page } = b;
    // Every value the bar takes is recorded in the page, so the check below doesn't depend on how
    // often this loop (slowed by the zoom) happens to look.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { progressSeen: number[] }).progressSeen = seen;
      const record = (el: Element) => seen.push(Number(el.getAttribute('aria-valuenow')));
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.type === 'attributes' && r.target instanceof Element) record(r.target);
          for (const n of r.addedNodes) {
            if (!(n instanceof Element)) continue;
            if (n.matches('[data-testid="progress"]')) record(n);
            n.querySelectorAll('[data-testid="progress"]').forEach(record);
          }
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
      const skipped = new Set<string>();
      (window as unknown as { skippedSeen: Set<string> }).skippedSeen = skipped;
      setInterval(() => {
        const t = document.querySelector('[data-testid="task-skipped"]')?.textContent;
        if (t) skipped.add(t.trim());
      }, 20);
    });
    await page.getByTestId('build-index').click();
    await page.getByTestId('cancel-task').waitFor();
    let stats = '';
    let shot = false;
    let zoomedWhileIndexing = false;
    while (await page.getByTestId('progress').count()) {
      const v = Number(await page.getByTestId('progress').getAttribute('aria-valuenow').catch(() => NaN));
      const s = await page.getByTestId('task-stats').innerText().catch(() => '');
      if (/tiles\/s/.test(s) && /ETA \d/.test(s)) stats = s;
      if (!shot && v > 20) { await b.shot('02-indexing'); shot = true; }
      if (!zoomedWhileIndexing && v > 0 && v < 80) {
        // The map stays responsive while the worker embeds tiles: a zoom takes effect within
        // seconds even on a loaded machine; a blocked main thread would hold it for the whole index.
        const before = await page.getByTestId('map').getAttribute('data-zoom');
        await page.locator('.ol-zoom-in').click({ timeout: 5000 });
        await expect.poll(() => page.getByTestId('map').getAttribute('data-zoom'), { timeout: 5000 }).not.toBe(before);
        await page.locator('.ol-zoom-out').click({ timeout: 5000 });
        zoomedWhileIndexing = true;
      }
      await page.waitForTimeout(100);
    }
    expect(zoomedWhileIndexing).toBe(true);
    const values = new Set(await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen));
    const moving = [...values].filter((v) => v > 0 && v < 100);
    expect(moving.length, `progress values seen: ${[...values].join(', ')}`).toBeGreaterThanOrEqual(2);
    // The demo's big cloud is skipped while indexing runs, and the card says so as it happens.
    const skipped = await page.evaluate(() => [...(window as unknown as { skippedSeen: Set<string> }).skippedSeen]);
    expect(skipped).toContain('skipped so far: 1 cloudy');
    expect(stats).toMatch(/\d+\/100 tiles\s+[\d.]+ tiles\/s\s+ETA \d/);
    await page.getByTestId('index-card').getByText('Indexed').waitFor();
    await expect.poll(() => page.getByTestId('index-state').innerText()).toMatch(/Indexed/);
    expect(await page.getByTestId('status-bar').innerText()).toMatch(/mslens-spectral[\s\S]*CPU[\s\S]*98 tiles/);
    expect(await page.getByTestId('index-counts').innerText()).toMatch(/98 tiles embedded, 2 skipped \(1 cloudy > 50 %, 1 nodata\)/);
  });

  test('searching "water" outlines tiles that are water in the ground truth', async () => {
    const { page } = b;
    await page.getByRole('button', { name: 'Zoom to the scene' }).click();
    await page.getByTestId('query').fill('water');
    await page.getByTestId('query').press('Enter');
    await page.getByTestId('heat-legend').waitFor();
    const tiles = await outlined();
    expect(tiles.length).toBeGreaterThanOrEqual(10);
    const truth = await truthFractions(join(web.home, 'demo', 'demo-s2l2a-2240-truth.tif'));
    const water = tiles.map((t) => truth.get(t)![WATER]);
    expect(Math.min(...water), `water fractions: ${water.map((w) => w.toFixed(2)).join(' ')}`).toBeGreaterThanOrEqual(0.2);
    expect(water.filter((w) => w >= 0.5).length / water.length).toBeGreaterThanOrEqual(0.8);
    // The list holds the same tiles, best first.
    const listed = await page.getByTestId('results').locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-tile')));
    expect(listed).toEqual(tiles);
    // Each row names the scene's date and the tile's SCL cloud fraction.
    const facts = await page.getByTestId('results').getByTestId('hit-facts').allInnerTexts();
    expect(facts).toHaveLength(tiles.length);
    for (const f of facts) expect(f).toMatch(/^2024-06-12 · cloud \d+ %$/);
    await page.waitForTimeout(800);
    await b.shot('03-search-water');
  });

  test('raising the threshold removes outlines; the query is remembered', async () => {
    const { page } = b;
    const before = (await outlined()).length;
    const slider = page.getByTestId('threshold');
    const set = (v: string | null): Promise<void> => slider.evaluate((el, value) => {
      const input = el as HTMLInputElement;
      input.value = value ?? input.max;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }, v);
    const initial = await slider.inputValue();
    await set(null);
    await expect.poll(async () => (await outlined()).length).toBeLessThan(before);
    await set(initial);
    await expect.poll(async () => (await outlined()).length).toBe(before);
    const recent = await web.call<{ recent: { queries: string[] } }>('appState', {});
    expect(recent.recent.queries[0]).toBe('water');
  });

  test('arrow keys and Enter in the results zoom to a tile', async () => {
    const { page } = b;
    const list = page.getByTestId('results');
    await list.focus();
    await list.press('ArrowDown');
    await list.press('ArrowDown');
    await list.press('Enter');
    const third = await list.locator('li').nth(2).getAttribute('data-tile');
    await expect.poll(() => page.getByTestId('map').getAttribute('data-selected')).toBe(third);
    await page.waitForTimeout(800);
    await b.shot('04-zoomed-to-tile');
  });

  test('classify labels every tile, with a legend of the classes', async () => {
    const { page } = b;
    await page.getByTestId('tab-classify').click();
    await page.getByTestId('run-classify').click();
    const legend = page.getByTestId('class-legend');
    await legend.waitFor();
    const rows = await legend.locator('li').evaluateAll((els) => els.map((e) => [e.getAttribute('data-class'), Number(e.querySelector('.count')?.textContent)] as const));
    expect(rows.map(([c]) => c)).toEqual(['water', 'forest', 'cropland', 'built-up', 'bare soil', 'snow', 'cloud']);
    // 100 tiles less the nodata corner and the tile under the big cloud (skipped by its SCL).
    expect(rows.reduce((s, [, n]) => s + n, 0)).toBe(98);
    expect(Object.fromEntries(rows).water).toBeGreaterThanOrEqual(15);
    await page.getByRole('button', { name: 'Zoom to the scene' }).click();
    await page.waitForTimeout(600);
    const box = (await page.getByTestId('map').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.55);
    await page.getByTestId('hover-card').waitFor();
    expect(await page.getByTestId('hover-card').innerText()).toMatch(/r\d{3}c\d{3}[\s\S]*%/);
    await b.shot('05-classify');
  });

  test('find similar from a clicked tile, refined with a negative example', async () => {
    const { page } = b;
    await page.getByTestId('tab-search').click();
    const first = await page.getByTestId('results').locator('li').first().getAttribute('data-tile');
    await page.getByTestId('results').locator('li').first().locator('button.main').click();
    await page.getByTestId('tab-similar').click();
    await page.waitForTimeout(800);
    // The tile the map zoomed to is under the centre: click it.
    const box = (await page.getByTestId('map').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.getByTestId('positive-example').first().waitFor();
    expect(await page.getByTestId('positive-example').first().innerText()).toContain(first!);
    const results = page.getByTestId('results');
    await results.locator('li').first().waitFor();
    const plain = await results.locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-tile')));
    expect(plain).not.toContain(first);
    const truth = await truthFractions(join(web.home, 'demo', 'demo-s2l2a-2240-truth.tif'));
    expect(plain.slice(0, 5).filter((t) => truth.get(t!)![WATER] >= 0.5).length).toBeGreaterThanOrEqual(4);
    // Mark the fifth result as "not like this": it becomes an example and leaves the results.
    const fifth = plain[4]!;
    await results.locator(`li[data-tile="${fifth}"]`).getByTestId('mark-negative').click();
    await page.getByTestId('negative-example').waitFor();
    await expect.poll(async () => results.locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-tile')))).not.toContain(fifth);
    await page.getByRole('button', { name: 'Zoom to the scene' }).click();
    await page.waitForTimeout(800);
    await b.shot('06-similar');
  });

  test('export downloads the results as valid GeoJSON', async () => {
    const { page } = b;
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    expect(download.suggestedFilename()).toMatch(/^mslens-demo-s2l2a-2240-similar-to-r\d{3}c\d{3}\.geojson$/);
    const path = join(web.home, 'export.geojson');
    await download.saveAs(path);
    const fc = JSON.parse(await readFile(path, 'utf8'));
    expectValidFeatureCollection(fc);
    const hits = fc.features.filter((f: { properties: { rank?: number } }) => f.properties.rank !== undefined);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.map((f: { properties: { rank: number } }) => f.properties.rank)).toEqual(hits.map((_: unknown, i: number) => i + 1));
    expect(fc.features.some((f: { properties: { example?: string } }) => f.properties.example === 'negative')).toBe(true);
    for (const f of fc.features) expect(f.properties).toMatchObject({ model_id: 'mslens-spectral', scene_id: 'demo-s2l2a-2240' });
  });

  test('the page logged no errors', () => {
    expect(b.errors).toEqual([]);
  });
});
