#!/usr/bin/env node
// Fetches Electron's binary after `npm install`.
//
// npm 11 runs no dependency install scripts unless package.json's allowScripts approves them,
// and we deny electron's so that an offline install (npm registry only) still succeeds. This
// script runs electron's own installer instead and treats failure as "no desktop shell":
// `npm start` then falls back to web mode. Online, the binary arrives as usual.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let dir;
try {
  dir = dirname(require.resolve('electron/package.json'));
} catch {
  process.exit(0); // production install without devDependencies
}
const pathTxt = join(dir, 'path.txt');
if (existsSync(pathTxt) && existsSync(join(dir, 'dist', readFileSync(pathTxt, 'utf8').trim()))) process.exit(0);
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  console.log('mslens: ELECTRON_SKIP_BINARY_DOWNLOAD is set; the desktop shell is not installed (npm start uses web mode).');
  process.exit(0);
}
const res = spawnSync(process.execPath, [join(dir, 'install.js')], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000, encoding: 'utf8' });
if (res.status === 0) {
  console.log('mslens: Electron binary installed.');
} else {
  const why = (res.stderr || res.error?.message || '').split('\n').find((l) => /Error|ENOTFOUND|EAI_AGAIN|ECONN/.test(l))?.trim() ?? 'download failed';
  console.log(`mslens: Electron's binary could not be downloaded (${why}). npm start will use web mode; run \`npm run fetch-electron\` when online.`);
}
