/// <reference lib="dom" />
// Errors are readable messages beside the control that was used, never a blank screen:
// a cancelled index build, a missing or unreadable scene, a query the model can't answer,
// and a server that went away.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openBrowser, startWebMode, type BrowserSession, type WebMode } from './helpers/web-mode.ts';

let web: WebMode;
let b: BrowserSession;

beforeAll(async () => {
  web = await startWebMode();
  b = await openBrowser({ width: 1280, height: 800 });
  await b.page.goto(web.url);
  await b.page.getByTestId('scene-card').getByText('demo-s2l2a-2240.tif').waitFor({ timeout: 90_000 });
});
afterAll(async () => {
  await b?.close();
  await web?.stop();
});

const errorText = (where: string) => b.page.getByTestId(where).getByTestId('error').innerText();

describe('errors in web mode', () => {
  test('cancelling an index build says so, writes nothing, and lets the analyst start again', async () => {
    const { page } = b;
    await page.getByTestId('build-index').click();
    await page.getByTestId('cancel-task').click();
    await expect.poll(() => errorText('index-card')).toMatch(/cancelled/);
    await page.getByTestId('build-index').waitFor();
    expect(await web.call<{ recent: { indexes: unknown[] } }>('appState', {})).toMatchObject({ recent: { indexes: [] } });
  });

  test('a missing scene: the message names the path, the open scene stays', async () => {
    const { page } = b;
    await page.getByTestId('open-scene').click();
    await page.getByTestId('path-input').fill('/nonexistent/S2_scene.tif');
    await page.getByTestId('path-input').press('Enter');
    await expect.poll(() => page.getByTestId('path-error').innerText()).toMatch(/\/nonexistent\/S2_scene\.tif does not exist/);
    expect(await page.getByTestId('scene-card').innerText()).toMatch(/demo-s2l2a-2240\.tif/);
    await page.keyboard.press('Escape');
  });

  test('a file that is not a scene', async () => {
    const { page } = b;
    const notScene = join(web.home, 'notes.tif');
    await writeFile(notScene, 'these are notes, not a GeoTIFF');
    await page.getByTestId('open-scene').click();
    await page.getByTestId('path-input').fill(notScene);
    await page.getByTestId('path-input').press('Enter');
    await expect.poll(() => page.getByTestId('path-error').innerText()).toMatch(/notes\.tif.*GeoTIFF/);
    await b.shot('errors-not-a-scene');
    await page.keyboard.press('Escape');
  });

  test('a query the built-in model does not know points to the MS-CLIP install', async () => {
    const { page } = b;
    await page.getByTestId('build-index').click();
    await page.getByTestId('index-card').getByText('Indexed').waitFor({ timeout: 120_000 });
    await page.getByTestId('query').fill('solar farm');
    await page.getByTestId('query').press('Enter');
    await expect.poll(() => page.getByRole('search').locator('..').getByTestId('error').innerText()).toMatch(/Llama3-MS-CLIP|llama3-ms-clip/i);
    // The next step in the app's words, never the CLI's.
    const said = await page.getByRole('search').locator('..').getByTestId('error').innerText();
    expect(said).toMatch(/Install llama3-ms-clip in the Models panel\./);
    expect(said).not.toMatch(/`mslens|--[a-z]/);
    await b.shot('errors-unknown-query');
  });

  test('when the server is gone, actions say so', async () => {
    const { page } = b;
    await web.stop();
    await page.getByTestId('query').fill('water');
    await page.getByTestId('query').press('Enter');
    await expect.poll(() => page.getByRole('search').locator('..').getByTestId('error').innerText()).toMatch(/Lost contact with the mslens server/);
    expect(await page.locator('.app').count()).toBe(1);
  });
});
