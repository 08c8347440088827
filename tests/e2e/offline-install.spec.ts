/// <reference lib="dom" />
// Installing Llama3-MS-CLIP with no network: the licence is shown before accepting, the download
// fails fast next to Install with the file's URL, and a downloaded file is checked before use.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO } from '../helpers/harness.ts';
import { openBrowser, startWebMode, type BrowserSession, type WebMode } from './helpers/web-mode.ts';

let web: WebMode;
let b: BrowserSession;

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  web = await startWebMode({ env: { HF_ENDPOINT: `http://127.0.0.1:${await closedPort()}` } });
  b = await openBrowser({ width: 1280, height: 800 });
  await b.page.goto(web.url);
  await b.page.getByTestId('tab-models').click();
});
afterAll(async () => {
  await b?.close();
  await web?.stop();
});

describe('installing a model offline', () => {
  test('licence first, then the error with the URL next to Install, then a downloaded file is refused inline', async () => {
    const { page } = b;
    await expect.poll(() => page.getByTestId('licence-summary').innerText()).toMatch(/Meta Llama 3 Community License/);
    expect(await page.getByTestId('licence-link').getAttribute('href')).toBe('https://llama.meta.com/llama3/license/');
    expect(await page.getByTestId('model-install').isDisabled()).toBe(true);
    await page.getByTestId('licence-accept').check();
    const t0 = Date.now();
    await page.getByTestId('model-install').click();
    await page.getByTestId('install-error').waitFor({ timeout: 10_000 });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await page.getByTestId('install-error').innerText()).toMatch(/can't be reached/);
    const url = await page.getByTestId('install-url').getAttribute('href');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(await page.getByTestId('install-url').innerText()).toBe(url);
    await b.shot('offline-install-1280');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await b.shot('offline-install-1920');
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByTestId('model-use-file').click();
    await page.getByTestId('path-prompt').waitFor();
    await page.getByTestId('path-input').fill(join(REPO, 'models/check-chips/282D_485L_3_3.tif'));
    await page.getByTestId('path-input').press('Enter');
    await page.getByTestId('path-error').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('path-error').innerText()).not.toBe('');
    expect(await page.getByTestId('path-prompt').isVisible()).toBe(true);
    await b.shot('offline-install-file-refused-1280');
    expect(b.errors).toEqual([]);
  });
});
