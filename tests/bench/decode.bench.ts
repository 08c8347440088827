// Full-size per-band COGs (GDAL-made from the 10980² demo, the way Earth Search serves them: one
// uint16 DEFLATE COG per band at its native 10/20/60 m resolution; GDAL's 512 px blocks, and
// Earth Search's 1024 px blocks with a predictor), and the same bands as
// lossless JPEG 2000 (as in SAFE products, 1024² tiles): decode-and-tile throughput through
// mslens' strip reader next to `gdal_translate` decoding the same files on the same cores, and
// end-to-end indexing with the built-in model. Each run is its own child process.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { report } from './bench-util.ts';
import { demoPath } from './index.bench.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(REPO, 'node_modules', '.cache', 'mslens-bench');
const L2A = ['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B11', 'B12'];
const RES: Record<string, number> = { B01: 60, B02: 10, B03: 10, B04: 10, B05: 20, B06: 20, B07: 20, B08: 10, B8A: 20, B09: 60, B11: 20, B12: 20 };
const MODEL = ['B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B11', 'B12'];

function child(script: string, args: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, [join(REPO, 'node_modules/tsx/dist/cli.mjs'), join(REPO, 'tests/bench', script), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

const bandFile = (folder: string, b: string): string => join(folder, `T33UUP_20240612T101031_${b}_${RES[b]}m.tif`);

/** The demo's 12 bands as per-band COGs at native resolution (made once, cached). */
function bandFolder(size: number): string {
  const folder = join(CACHE, `bands-${basename(dirname(demoPath(size)))}`);
  if (L2A.every((b) => existsSync(bandFile(folder, b)))) return folder;
  const stack = demoPath(size);
  mkdirSync(folder, { recursive: true });
  const t = performance.now();
  L2A.forEach((b, i) => {
    const out = Math.round((size * 10) / RES[b]);
    const resize = RES[b] === 10 ? [] : ['-r', 'average', '-outsize', String(out), String(out)];
    const tmp = `${bandFile(folder, b)}.part`;
    const r = spawnSync('gdal_translate', ['-q', '-b', String(i + 1), '-ot', 'UInt16', ...resize, '-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'OVERVIEWS=NONE', '-co', 'NUM_THREADS=ALL_CPUS', stack, tmp], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gdal_translate failed: ${r.stderr}`);
    renameSync(tmp, bandFile(folder, b));
  });
  report(`per-band COGs ${size}² made with GDAL`, { seconds: (performance.now() - t) / 1000 });
  return folder;
}

/** Wall time for gdal_translate to decode each file, `parallel` processes at a time. */
async function gdalDecode(files: string[], parallel: number): Promise<number> {
  const t = performance.now();
  const queue = [...files];
  const run = async (): Promise<void> => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      await new Promise<void>((resolve, reject) => {
        const p = spawn('gdal_translate', ['-q', '-of', 'GTiff', f, '/vsimem/decoded.tif']);
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`gdal_translate ${f} exited with ${code}`))));
      });
    }
  };
  await Promise.all(Array.from({ length: parallel }, run));
  return (performance.now() - t) / 1000;
}

function pixels(path: string): number {
  const m = /Size is (\d+), (\d+)/.exec(spawnSync('gdalinfo', [path], { encoding: 'utf8' }).stdout)!;
  return Number(m[1]) * Number(m[2]);
}

/**
 * The model bands of a per-band COG folder in Earth Search's layout: 1024 px blocks and
 * horizontal predictor (made once, cached). Larger blocks mean larger decoded block rows held.
 */
function earthSearchFolder(cogs: string): string {
  const folder = `${cogs}-es`;
  const out = (b: string): string => join(folder, basename(bandFile(cogs, b)));
  if (MODEL.every((b) => existsSync(out(b)))) return folder;
  mkdirSync(folder, { recursive: true });
  for (const b of MODEL) {
    const r = spawnSync('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=YES', '-co', 'BLOCKSIZE=1024', '-co', 'OVERVIEWS=NONE', '-co', 'NUM_THREADS=ALL_CPUS', bandFile(cogs, b), `${out(b)}.part`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gdal_translate failed: ${r.stderr}`);
    renameSync(`${out(b)}.part`, out(b));
  }
  return folder;
}

/** The model bands of a per-band COG folder as lossless JPEG 2000 (made once, cached). */
function jp2Folder(cogs: string): string {
  const folder = `${cogs}-jp2`;
  const out = (b: string): string => join(folder, basename(bandFile(cogs, b)).replace(/\.tif$/, '.jp2'));
  if (MODEL.every((b) => existsSync(out(b)))) return folder;
  mkdirSync(folder, { recursive: true });
  const t = performance.now();
  for (const b of MODEL) {
    const r = spawnSync('gdal_translate', ['-q', '-of', 'JP2OpenJPEG', '-co', 'QUALITY=100', '-co', 'REVERSIBLE=YES', '-co', 'BLOCKXSIZE=1024', '-co', 'BLOCKYSIZE=1024', bandFile(cogs, b), `${out(b)}.part.jp2`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gdal_translate failed: ${r.stderr}`);
    renameSync(`${out(b)}.part.jp2`, out(b));
  }
  report(`JPEG 2000 bands made with GDAL`, { seconds: (performance.now() - t) / 1000 });
  return folder;
}

/** The fastest of `runs` runs of each side (both are noisy on a shared machine), as the ratio's terms. */
async function compare(label: string, folder: string, files: string[], workers: number[], runs: number): Promise<void> {
  const sourceMp = files.reduce((s, f) => s + pixels(f), 0) / 1e6;
  const gdal: number[] = [];
  for (let i = 0; i < runs; i++) gdal.push(await gdalDecode(files, os.availableParallelism()));
  const gdalSeconds = Math.min(...gdal);
  const gdalRate = sourceMp / gdalSeconds;
  const mb = files.reduce((s, f) => s + statSync(f).size, 0) / 2 ** 20;
  const best = `best of ${runs}`;
  report(`gdal_translate ${files.length} ${label}`, { 'source MP': sourceMp, 'file MiB': mb, processes: os.availableParallelism(), [best]: gdalSeconds, slowest: Math.max(...gdal), 'MP/s': gdalRate });
  for (const w of workers) {
    const rs = Array.from({ length: runs }, () => child('decode-scene.child.ts', [folder, String(w)]));
    const r = rs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const rate = sourceMp / r.seconds;
    report(`  decode-and-tile, ${r.workers ? `${r.workers} decode workers` : 'in one thread'}`, { tiles: r.tiles, [best]: r.seconds, slowest: Math.max(...rs.map((x) => x.seconds)), 'MP/s': rate, 'vs GDAL': rate / gdalRate, 'peak RSS MiB': Math.max(...rs.map((x) => x.peakMiB)) });
  }
  const home = mkdtempSync(join(os.tmpdir(), 'mslens-bench-'));
  try {
    const r = child('index-scene.child.ts', [folder, home]);
    report(`  index (built-in model)`, { tiles: r.tiles, 'tiles/s': r.tilesPerSecond, seconds: r.seconds, 'peak RSS MiB': r.peakMiB });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export async function benchDecode(size: number): Promise<void> {
  if (spawnSync('gdalinfo', ['--version']).status !== 0) {
    console.log('decode bench skipped: gdal-bin is not installed');
    return;
  }
  const cores = os.availableParallelism();
  const cogs = bandFolder(size);
  const cogFiles = MODEL.map((b) => bandFile(cogs, b));
  await compare(`band COGs ${size}²`, cogs, cogFiles, [0, cores], 3);
  const es = earthSearchFolder(cogs);
  await compare(`band COGs ${size}², 1024 px blocks + predictor`, es, MODEL.map((b) => join(es, basename(bandFile(cogs, b)))), [cores], 3);
  const jp2 = jp2Folder(cogs);
  const jp2Files = MODEL.map((b) => join(jp2, basename(bandFile(cogs, b)).replace(/\.tif$/, '.jp2')));
  // JPEG 2000 takes a minute a run: one run each.
  await compare(`band JPEG 2000s ${size}²`, jp2, jp2Files, [cores], 1);
}
