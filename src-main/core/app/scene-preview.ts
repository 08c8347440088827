/**
 * What the map reads for a scene. A single local GeoTIFF with overviews is read as it is:
 * OpenLayers streams it by byte ranges at every zoom. Any other scene (a folder of band files,
 * a SAFE product, a STAC item, a stack without overviews such as the demo) gets a true-colour
 * preview COG (preview-build.ts), written once in a worker thread and kept in the data folder's
 * `previews` cache under the scene's content key, so opening it again is instant.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { fromFile } from 'geotiff';
import { MslensError, fromWireError } from '../errors.ts';
import { GeoTiffSource } from '../scene/geotiff-source.ts';
import { openScene } from '../scene/open-scene.ts';
import { sceneKey } from '../scene/scene-key.ts';
import { isHttpUrl } from '../scene/stac/location.ts';
import type { BandSource } from '../scene/types.ts';
import { runWorkerJob } from '../worker-spawn.ts';
import { PREVIEW_BANDS, planPreview, type PreviewOptions } from './preview-build.ts';
import type { FromPreviewWorker, PreviewJob, ToPreviewWorker } from './scene-preview-protocol.ts';

export interface SceneImagery {
  /** The file the map reads: the scene itself, or its preview. */
  path: string;
  kind: 'scene' | 'preview';
  /** 1-based positions of B04, B03 and B02 in that file. */
  bands: [number, number, number];
  width: number;
  height: number;
  /** Reduced-resolution levels in the file. */
  overviews: number;
  /** Ground size of the file's full-resolution pixels, in CRS units (metres). */
  pixelSize: number;
  /** True when the preview came from the cache (always false for the scene itself). */
  cached: boolean;
  seconds: number;
}

export interface SceneImageryOptions extends PreviewOptions {
  /** Folder of cached previews. */
  cacheDir: string;
  /** Previews kept in the cache, the most recently used first. @default 16 */
  keep?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Bumped whenever preview files change, so old ones are not reused. */
const PREVIEW_VERSION = 1;

interface FileLayout {
  width: number;
  height: number;
  overviews: number;
  pixelSize: number;
}

/** Size, pixel size and reduced-resolution levels (not masks) of a local TIFF. */
async function fileLayout(path: string): Promise<FileLayout> {
  const tiff = await fromFile(path);
  try {
    const count = await tiff.getImageCount();
    const main = await tiff.getImage(0);
    let overviews = 0;
    for (let i = 1; i < count; i++) {
      const type = Number((await tiff.getImage(i)).fileDirectory.getValue('NewSubfileType') ?? 0);
      if ((type & 1) === 1 && (type & 4) === 0) overviews++;
    }
    return { width: main.getWidth(), height: main.getHeight(), overviews, pixelSize: Math.abs(main.getResolution()[0]) };
  } finally {
    tiff.close?.();
  }
}

/** The scene file itself, when the map can read it at every zoom. */
async function readDirectly(path: string, source: BandSource): Promise<SceneImagery | null> {
  if (!(source instanceof GeoTiffSource)) return null;
  const layout = await fileLayout(path);
  if (layout.overviews === 0) return null;
  const bands = PREVIEW_BANDS.map((b) => source.info.bands.indexOf(b) + 1) as [number, number, number];
  if (bands.includes(0)) return null; // planPreview says what is missing
  return { path, kind: 'scene', bands, ...layout, cached: false, seconds: 0 };
}

/**
 * The cache name: the scene's content key, mixed with its grid and facts (so that two scenes
 * whose files key alike cannot share a preview), and the preview's format and options.
 */
async function previewName(path: string, source: BandSource, opts: PreviewOptions): Promise<string> {
  const info = source.info;
  const content = await sceneKey(path, source);
  const facts = { content, w: info.width, h: info.height, t: info.transform, crs: info.crs.epsg, bands: info.bands, date: info.date ?? null, tile: info.tile ?? null };
  const key = createHash('sha256').update(JSON.stringify({ facts, v: PREVIEW_VERSION, maxSize: opts.maxSize ?? 4096, tileSize: opts.tileSize ?? 256 })).digest('hex').slice(0, 32);
  return `preview-${key}.tif`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}


const cancelled = (): MslensError => new MslensError('CANCELLED', 'Preparing the map preview was cancelled.');

/** Runs the preview worker on `job`; a cancelled or crashed worker leaves no file behind. */
function buildInWorker(job: PreviewJob, onProgress: (done: number, total: number) => void, signal?: AbortSignal): Promise<void> {
  // A worker stopped in a long read leaves its temporary file; the caller removes it.
  return runWorkerJob<FromPreviewWorker, void>(new URL('./scene-preview-worker.ts', import.meta.url), { type: 'start', job } satisfies ToPreviewWorker, {
    name: 'preview worker',
    cancelled,
    signal,
    onMessage(msg, done, fail) {
      if (msg.type === 'progress') onProgress(msg.done, msg.total);
      else if (msg.type === 'done') done();
      else fail(msg.error.code === 'CANCELLED' ? cancelled() : fromWireError(msg.error));
    },
  });
}

/** Keeps the `keep` most recently used previews, and drops temporary files a crash left a day ago or more. */
async function prunePreviews(dir: string, keep: number): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const files = await Promise.all(entries.map(async (name) => ({ name, st: await stat(join(dir, name)).catch(() => null) })));
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  const previews = files.filter((f) => f.st?.isFile() && /^preview-[0-9a-f]{32}\.tif$/.test(f.name)).sort((a, b) => b.st!.mtimeMs - a.st!.mtimeMs);
  const stale = files.filter((f) => f.st?.isFile() && f.name.startsWith('.') && f.st.mtimeMs < dayAgo);
  await Promise.all([...previews.slice(keep), ...stale].map((f) => rm(join(dir, f.name), { force: true })));
}

/** The imagery the map reads for `scenePath`: the scene itself, or its (cached) preview. */
export async function sceneImagery(scenePath: string, opts: SceneImageryOptions): Promise<SceneImagery> {
  const t0 = performance.now();
  const seconds = (): number => Math.round((performance.now() - t0) / 10) / 100;
  const source = await openScene(scenePath, opts.signal);
  let name: string;
  try {
    const direct = isHttpUrl(scenePath) ? null : await readDirectly(scenePath, source);
    if (direct) return { ...direct, seconds: seconds() };
    planPreview(source.info, opts); // fails early, with its message, when B04/B03/B02 are missing
    name = await previewName(scenePath, source, opts);
  } finally {
    await source.close();
  }

  const path = join(opts.cacheDir, name);
  const preview = async (cached: boolean): Promise<SceneImagery> =>
    ({ path, kind: 'preview', bands: [1, 2, 3], ...(await fileLayout(path)), cached, seconds: seconds() });
  if (await exists(path)) {
    try {
      const now = new Date();
      await utimes(path, now, now);
      return await preview(true);
    } catch {
      await rm(path, { force: true }); // damaged: write it again
    }
  }

  try {
    await mkdir(opts.cacheDir, { recursive: true });
  } catch (err) {
    throw new MslensError('BAD_ARGUMENT', `Could not create the preview cache ${opts.cacheDir} (${(err as NodeJS.ErrnoException).code ?? 'error'}). Check that the data folder is writable.`, { path: opts.cacheDir }, { cause: err });
  }
  const building = `.${name}.${randomBytes(6).toString('hex')}.building.tif`;
  const outPath = join(opts.cacheDir, building);
  opts.onProgress?.(0, 1);
  try {
    await buildInWorker({ scenePath, outPath, maxSize: opts.maxSize, tileSize: opts.tileSize }, (done, total) => opts.onProgress?.(done, total), opts.signal);
    await rename(outPath, path);
  } catch (err) {
    const left = await readdir(opts.cacheDir).catch(() => [] as string[]);
    await Promise.all(left.filter((f) => f === building || f.startsWith(`.${building}.tmp-`)).map((f) => rm(join(opts.cacheDir, f), { force: true })));
    throw err;
  }
  await prunePreviews(opts.cacheDir, opts.keep ?? 16);
  return preview(false);
}
