#!/usr/bin/env node
// `npm test` runs this first: the tests need GDAL (to make fixtures) and Chromium (end-to-end),
// and without them about 140 tests could not run. Rather than skip them quietly, stop within
// seconds with one line per missing prerequisite that names the package and how to install it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const runs = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 15_000 });
  return r.status === 0;
};

const chromium = process.env.MSLENS_CHROMIUM ?? '/usr/bin/chromium';
const checks = [
  {
    ok: () => runs('gdalinfo', ['--version']),
    line: 'GDAL is not installed (gdalinfo not found): install it with `sudo apt-get install gdal-bin python3-gdal` (macOS: `brew install gdal`; Windows: `choco install gdal`).',
  },
  {
    ok: () => runs('/usr/bin/python3', ['-c', 'from osgeo import gdal']),
    line: "GDAL's Python bindings are not installed (/usr/bin/python3 cannot import osgeo): install them with `sudo apt-get install python3-gdal` (macOS: `brew install gdal`; Windows: `choco install gdal`).",
  },
  {
    ok: () => existsSync(chromium),
    line: `Chromium is not installed (${chromium} not found): install it with \`sudo apt-get install chromium\` (macOS: \`brew install --cask chromium\`; Windows: \`choco install chromium\`), or set MSLENS_CHROMIUM to its path.`,
  },
];

const missing = checks.filter((c) => !c.ok());
for (const c of missing) console.error(`mslens tests: ${c.line}`);
process.exit(missing.length ? 1 : 0);
