/// <reference lib="dom" />
// No stale results: after a failed search the previous query's heat, outlines, legend and list
// are gone (so nothing looks like a hit for the failed query); after a failed classify the map
// keeps no old labels; and errors don't survive a change of scene.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixture } from '../helpers/fixtures.ts';
import { openIndexedDemo, type BrowserSession, type WebMode } from './helpers/web-mode.ts';

let web: WebMode;
let b: BrowserSession;
const CHIP = fixture('msclip-examples', '609U_541L_3_0.tif');

beforeAll(async () => {
  ({ web, b } = await openIndexedDemo({ width: 1440, height: 900 }));
}, 240_000);
afterAll(async () => {
  await b?.close();
  await web?.stop();
});

/** What the map and the panel show of the analysis. */
async function shown(): Promise<{ overlay: string; outlined: number; heatLegend: number; classLegend: number; rows: number; counts: number }> {
  const { page } = b;
  const out = page.getByTestId('map-outlines');
  return {
    overlay: (await out.getAttribute('data-overlay')) ?? '',
    outlined: ((await out.getAttribute('data-tiles')) ?? '').split(',').filter(Boolean).length,
    heatLegend: await page.getByTestId('heat-legend').count(),
    classLegend: await page.getByTestId('class-legend').count(),
    rows: await page.locator('[data-testid="results"] li').count(),
    counts: await page.locator('[data-testid="class-list"] .count').count(),
  };
}

describe('no stale results', () => {
  test('a failed search clears the last query\'s heat, outlines, legend and list', async () => {
    const { page } = b;
    await page.getByTestId('query').fill('water');
    await page.getByTestId('query').press('Enter');
    await page.getByTestId('heat-legend').waitFor();
    const before = await shown();
    expect(before).toMatchObject({ overlay: 'heat', heatLegend: 1 });
    expect(before.outlined).toBeGreaterThan(0);
    expect(before.rows).toBeGreaterThan(0);

    await page.getByTestId('query').fill('solar farm');
    await page.getByTestId('query').press('Enter');
    await expect.poll(() => page.getByRole('search').locator('..').getByTestId('error').innerText()).toMatch(/solar farm/);
    expect(await shown()).toMatchObject({ overlay: '', outlined: 0, heatLegend: 0, rows: 0 });
    await b.shot('stale-failed-search');
  });

  test('a failed classify leaves no old labels on the map, and the list shows no old counts', async () => {
    const { page } = b;
    await page.getByTestId('tab-classify').click();
    await page.getByRole('button', { name: 'Land cover' }).click();
    await page.getByTestId('run-classify').click();
    await page.getByTestId('class-legend').waitFor();
    expect(await shown()).toMatchObject({ overlay: 'labels', classLegend: 1 });
    expect((await shown()).counts).toBeGreaterThan(0);

    await page.getByTestId('new-class').fill('solar farm');
    await page.getByTestId('new-class').press('Enter');
    await page.getByTestId('classes-edited').waitFor();
    await page.getByTestId('run-classify').click();
    await expect.poll(() => page.getByTestId('class-list').locator('..').getByTestId('error').innerText()).toMatch(/no concept for "solar farm"/);
    expect(await shown()).toMatchObject({ overlay: '', classLegend: 0, heatLegend: 0, counts: 0 });
    await b.shot('stale-failed-classify');
  });

  test('errors don\'t survive a change of scene', async () => {
    const { page } = b;
    expect(await page.locator('[data-testid="error"]').count()).toBeGreaterThan(0);
    await page.getByTestId('open-scene').click();
    await page.getByTestId('path-input').fill(CHIP);
    await page.getByTestId('path-input').press('Enter');
    await page.getByTestId('scene-card').getByText('609U_541L_3_0.tif').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid="error"]').count()).toBe(0);
    await page.getByTestId('tab-search').click();
    expect(await page.locator('[data-testid="error"]').count()).toBe(0);
    expect(await shown()).toMatchObject({ overlay: '', outlined: 0, heatLegend: 0, classLegend: 0, rows: 0 });
    expect(b.errors).toEqual([]);
  });
});
