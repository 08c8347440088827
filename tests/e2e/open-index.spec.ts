/// <reference lib="dom" />
// Opening an index in web mode, from the path prompt and from the prompt's Recent list: the
// index and its scene open (not the index "as a scene"). The prompt stays open, with what was
// typed, when a path fails, and says why inline; a relative path is refused with the full path to give.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoScene } from '../helpers/harness.ts';
import { fixture } from '../helpers/fixtures.ts';
import { openBrowser, startWebMode, type BrowserSession, type WebMode } from './helpers/web-mode.ts';

let web: WebMode;
let b: BrowserSession;
let demo: string;
let demoIndex: string;
const CHIP = fixture('msclip-examples', '609U_541L_3_0.tif');

beforeAll(async () => {
  web = await startWebMode();
  demo = (await demoScene(2240)).scenePath;
  demoIndex = (await web.call<{ path: string }>('buildIndex', { scene: demo })).path;
  // The analyst last had a chip open, and has never opened the demo's index in the app.
  await web.call('saveAppState', { recent: { scenes: [CHIP] } });
  b = await openBrowser({ width: 1280, height: 800 });
  await b.page.goto(web.url);
  await b.page.getByTestId('scene-card').getByText('609U_541L_3_0.tif').waitFor({ timeout: 60_000 });
}, 240_000);
afterAll(async () => {
  await b?.close();
  await web?.stop();
});

const prompt = () => b.page.getByTestId('path-prompt');

async function openPrompt(purpose: 'scene' | 'index'): Promise<void> {
  await b.page.getByTestId(purpose === 'scene' ? 'open-scene' : 'open-index').click();
  await prompt().waitFor();
  expect(await prompt().getAttribute('data-purpose')).toBe(purpose);
}

describe('open index in web mode', () => {
  test('a path that fails keeps the prompt open, with the text and the reason inline', async () => {
    const { page } = b;
    await openPrompt('index');
    await page.getByTestId('path-input').fill('/nonexistent/scene.parquet');
    await page.getByTestId('path-input').press('Enter');
    await expect.poll(() => page.getByTestId('path-error').innerText()).toMatch(/\/nonexistent\/scene\.parquet does not exist/);
    expect(await page.getByTestId('path-input').inputValue()).toBe('/nonexistent/scene.parquet');
    expect(await page.getByTestId('index-card').getByTestId('error').count()).toBe(0);

    await page.getByTestId('path-input').fill('data/scene.parquet');
    await page.getByTestId('path-input').press('Enter');
    await expect.poll(() => page.getByTestId('path-error').innerText()).toMatch(/"data\/scene\.parquet" is a relative path.*Give the full path, e\.g\. /);
    expect(await page.getByTestId('path-error').innerText()).toContain(join(homedir(), 'data', 'scene.parquet'));
    expect(await prompt().isVisible()).toBe(true);
    await b.shot('open-index-error-inline');
    await page.keyboard.press('Escape');
    await expect.poll(() => prompt().count()).toBe(0);
  });

  test('an index typed into the prompt opens with its scene', async () => {
    const { page } = b;
    await openPrompt('index');
    await page.getByTestId('path-input').fill(demoIndex);
    await page.getByTestId('path-input').press('Enter');
    await expect.poll(() => prompt().count(), { timeout: 60_000 }).toBe(0);
    await page.getByTestId('scene-card').getByText('demo-s2l2a-2240.tif').waitFor({ timeout: 60_000 });
    await page.getByTestId('index-card').getByText('Indexed').waitFor();
    expect(await page.getByTestId('index-counts').innerText()).toMatch(/tiles embedded/);
    expect(await page.locator('[data-testid="error"]').count()).toBe(0);
    // It searches: the index is the one that opened.
    await page.getByTestId('query').fill('water');
    await page.getByTestId('query').press('Enter');
    await page.getByTestId('heat-legend').waitFor();
  });

  test('from the Recent list of the index prompt, after another scene was opened', async () => {
    const { page } = b;
    await openPrompt('scene');
    await page.getByTestId('path-input').fill(CHIP);
    await page.getByTestId('path-open').click();
    await page.getByTestId('scene-card').getByText('609U_541L_3_0.tif').waitFor({ timeout: 60_000 });
    await page.getByTestId('build-index').waitFor();

    await openPrompt('index');
    const recent = prompt().getByTestId('path-recent');
    expect(await recent.allInnerTexts()).toContain(demoIndex.split('/').pop());
    await recent.filter({ hasText: demoIndex.split('/').pop()! }).click();
    expect(await page.getByTestId('path-input').inputValue()).toBe(demoIndex);
    await page.getByTestId('path-open').click();
    await expect.poll(() => prompt().count(), { timeout: 60_000 }).toBe(0);
    await page.getByTestId('scene-card').getByText('demo-s2l2a-2240.tif').waitFor({ timeout: 60_000 });
    await page.getByTestId('index-card').getByText('Indexed').waitFor();
    expect(await page.locator('[data-testid="error"]').count()).toBe(0);
    await b.shot('open-index-from-recent');
    expect(b.errors).toEqual([]);
  });
});
