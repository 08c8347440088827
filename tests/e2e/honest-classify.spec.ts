/// <reference lib="dom" />
// Classify is honest with the built-in model: with the EuroSAT preset the panel says, before
// running, which classes it can't tell apart and which concepts no class names; the result marks
// tiles it can't separate "uncertain" (as core counts them); an unknown class gets classify's
// wording and the Install button, never the search wording.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openIndexedDemo, type BrowserSession, type WebMode } from './helpers/web-mode.ts';

let web: WebMode;
let b: BrowserSession;
let index: string;

beforeAll(async () => {
  ({ web, b, index } = await openIndexedDemo({ width: 1440, height: 900 }));
}, 240_000);
afterAll(async () => {
  await b?.close();
  await web?.stop();
});

describe('honest classify with the built-in model', () => {
  test('EuroSAT: what the model can\'t tell apart is said before running, and unseparated tiles are uncertain', async () => {
    const { page } = b;
    await page.getByTestId('tab-classify').click();
    await page.getByRole('button', { name: 'EuroSAT' }).click();
    const notes = page.getByTestId('class-check');
    await expect.poll(() => notes.innerText()).toMatch(/can't tell "highway", "industrial" and "residential" apart/);
    expect(await notes.innerText()).toMatch(/No class names bare, snow, cloud, burned/);
    expect(await page.getByTestId('class-legend').count()).toBe(0); // said before running

    await page.getByTestId('run-classify').click();
    await page.getByTestId('class-legend').waitFor();
    const api = await web.call<{ counts: Record<string, number> }>('classify', { index, classes: ['annual crop', 'forest', 'herbaceous vegetation', 'highway', 'industrial', 'pasture', 'permanent crop', 'residential', 'river', 'sea or lake'] });
    expect(api.counts.uncertain).toBeGreaterThan(0);
    expect(await page.getByTestId('class-legend').locator('li[data-class="uncertain"] .count').innerText()).toBe(String(api.counts.uncertain));
    expect(await page.getByTestId('uncertain-count').innerText()).toMatch(new RegExp(`^uncertain\\s*${api.counts.uncertain} · `));
    expect(await page.getByTestId('class-legend').locator('li[data-class="highway"] .count').innerText()).toBe(String(api.counts.highway));
    await b.shot('classify-eurosat-honest');
  });

  test('an unknown class: classify\'s wording and the Install button', async () => {
    const { page } = b;
    await page.getByRole('button', { name: 'Land cover' }).click();
    await page.getByTestId('new-class').fill('solar farm');
    await page.getByTestId('new-class').press('Enter');
    await expect.poll(() => page.getByTestId('class-check').innerText()).toMatch(/has no concept for "solar farm"/);
    expect(await page.getByTestId('class-list').innerText()).toMatch(/solar farm\s*unknown/);
    const install = page.getByTestId('install-for-classes');
    expect(await install.innerText()).toMatch(/Install Llama3-MS-CLIP/);
    await page.getByTestId('run-classify').click();
    const panel = page.getByTestId('class-list').locator('..');
    await expect.poll(() => panel.getByTestId('error').innerText()).toMatch(/no concept for "solar farm".*classify with the Llama3-MS-CLIP model.*Install llama3-ms-clip in the Models panel\./);
    expect(await panel.getByTestId('error').innerText()).not.toMatch(/`mslens|--[a-z]/);
    expect(await panel.innerText()).not.toMatch(/search/i);
    await b.shot('classify-unknown-class');
    await install.click();
    expect(await page.getByTestId('tab-models').getAttribute('aria-selected')).toBe('true');
    expect(b.errors).toEqual([]);
  });
});
