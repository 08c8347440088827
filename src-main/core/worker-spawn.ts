/**
 * Starts a worker thread from a module URL. In a bundled build the URL points at compiled
 * JavaScript. From source (tests, CLI) it is TypeScript: Node 20 cannot apply tsx's loader to a
 * worker's entry module, so a two-line bootstrap registers tsx and then imports the entry.
 * workerData is always an object: the web-worker polyfill that geotiff.js imports reads
 * `workerData.mod` in any worker thread and crashes when workerData is undefined.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

export function spawnWorker(url: URL): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: {} });
  const tsxApi = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const code = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(url.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData: {} });
}
