/**
 * Building an index: embeddings are computed once per (scene content, model, tiling) and kept
 * in the cache folder; asking again returns the cached file without running inference.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { MslensError, fromWireError } from '../errors.ts';
import { imageEncoderHashes, type InstalledModel } from '../models/manifest.ts';
import type { ProviderName } from '../models/providers.ts';
import { openScene, resolveSceneLocation } from '../scene/open-scene.ts';
import { stacItemSceneId } from '../scene/stac/open-stac-item.ts';
import { sceneKey } from '../scene/scene-key.ts';
import { makeFootprinter, makeTileGrid, tileId } from '../tiles/tile-grid.ts';
import { runWorkerJob } from '../worker-spawn.ts';
import type { EmbedJob, FromWorker, ToWorker } from './embed-protocol.ts';
import { INDEX_FORMAT_VERSION } from './geoparquet-meta.ts';
import { readIndexMeta, writeIndexFile, type IndexMeta, type IndexTiles } from './index-store.ts';
import { DEFAULT_MAX_CLOUD, MASK_COUNT, MASK_FRACTIONS, type MaskFraction } from './scl-fractions.ts';

export interface IndexProgress {
  phase: 'starting' | 'embedding' | 'writing' | 'cached';
  done: number;
  total: number;
  /** Tiles left out so far. */
  skippedNodata: number;
  skippedCloudy: number;
  tilesPerSecond: number;
  etaSeconds: number | null;
  provider?: ProviderName;
}

export interface BuildIndexOptions {
  scenePath: string;
  model: InstalledModel;
  providers: ProviderName[];
  /** Folder of cached indexes. */
  cacheDir: string;
  /** @default 224 */
  size?: number;
  /** @default size */
  stride?: number;
  /** Tiles with less valid data are skipped. @default 0.5 */
  minValidFraction?: number;
  /**
   * Tiles whose SCL cloud fraction (cloud medium and high probability, thin cirrus) is above this
   * are skipped, without inference. Scenes without an SCL layer skip none. @default 0.5
   */
  maxCloudFraction?: number;
  /** Also write the index here. */
  out?: string;
  threads?: number;
  /** Image-encoder precision preference (see imageEncoderFor). @default 'auto' */
  precision?: 'auto' | 'fp32';
  onProgress?: (p: IndexProgress) => void;
  signal?: AbortSignal;
}

export interface BuiltIndex {
  path: string;
  meta: IndexMeta;
  cached: boolean;
  provider?: ProviderName;
  seconds: number;
}

export function sceneIdOf(path: string): string {
  // A STAC item (URL or .json) is named by its item id.
  const stacId = stacItemSceneId(path);
  if (stacId) return stacId.replace(/[^A-Za-z0-9._-]+/g, '_');
  return basename(path, extname(path)).replace(/[^A-Za-z0-9._-]+/g, '_');
}

function embedInWorker(job: EmbedJob, onProgress: (p: Omit<IndexProgress, 'phase'>) => void, signal?: AbortSignal) {
  let provider: ProviderName = 'cpu';
  let sha256 = '';
  let started = 0;
  return runWorkerJob<FromWorker, Extract<FromWorker, { type: 'done' }> & { provider: ProviderName; sha256: string }>(new URL('./embed-worker.ts', import.meta.url), { type: 'start', job } satisfies ToWorker, {
    name: 'indexing worker',
    cancelled: () => new MslensError('CANCELLED', 'Indexing was cancelled.'),
    signal,
    onMessage(msg, done, fail) {
      switch (msg.type) {
        case 'started':
          provider = msg.provider;
          sha256 = msg.sha256;
          started = performance.now();
          onProgress({ done: 0, total: msg.total, skippedNodata: 0, skippedCloudy: 0, tilesPerSecond: 0, etaSeconds: null, provider });
          break;
        case 'progress': {
          const secs = (performance.now() - started) / 1000;
          const rate = secs > 0 ? msg.done / secs : 0;
          onProgress({ done: msg.done, total: msg.total, skippedNodata: msg.skippedNodata, skippedCloudy: msg.skippedCloudy, tilesPerSecond: rate, etaSeconds: rate > 0 ? (msg.total - msg.done) / rate : null, provider });
          break;
        }
        case 'done':
          done({ ...msg, provider, sha256 });
          break;
        case 'failed':
          fail(fromWireError(msg.error));
          break;
      }
    },
  });
}

export async function buildIndex(opts: BuildIndexOptions): Promise<BuiltIndex> {
  const t0 = performance.now();
  const scenePath = resolveSceneLocation(opts.scenePath);
  const size = opts.size ?? 224;
  const stride = opts.stride ?? size;
  const minValid = opts.minValidFraction ?? 0.5;
  const maxCloud = opts.maxCloudFraction ?? DEFAULT_MAX_CLOUD;
  const { manifest } = opts.model;
  const progress = (p: Omit<IndexProgress, 'phase'>, phase: IndexProgress['phase']): void => opts.onProgress?.({ ...p, phase });

  const source = await openScene(scenePath, opts.signal);
  const info = source.info;
  await source.close();
  const grid = makeTileGrid(info, { size, stride });
  const key = await sceneKey(scenePath, source);
  const sceneId = sceneIdOf(scenePath);
  // The cloud threshold only changes what is indexed where the scene has an SCL layer.
  const masks = info.bands.includes('SCL');
  const cacheName = createHash('sha256')
    .update(JSON.stringify({ format: INDEX_FORMAT_VERSION, key, model: manifest.id, sha: imageEncoderHashes(manifest), providers: opts.providers, precision: opts.precision ?? 'auto', size, stride, minValid, maxCloud: masks ? maxCloud : null }))
    .digest('hex').slice(0, 16);
  const cachePath = join(opts.cacheDir, `${sceneId}-${manifest.id}-${cacheName}.parquet`);

  const deliver = async (meta: IndexMeta, cached: boolean, provider?: ProviderName): Promise<BuiltIndex> => {
    let path = cachePath;
    if (opts.out) {
      path = resolve(opts.out);
      if (path !== cachePath) {
        await mkdir(dirname(path), { recursive: true });
        const tmp = `${path}.tmp-${process.pid}`;
        try {
          await copyFile(cachePath, tmp);
          await rename(tmp, path);
        } catch (err) {
          await rm(tmp, { force: true }).catch(() => {});
          throw new MslensError('BAD_ARGUMENT', `Could not write the index to ${path}: ${(err as Error).message}.`, { path }, { cause: err });
        }
      }
    }
    return { path, meta, cached, provider, seconds: (performance.now() - t0) / 1000 };
  };

  if (await stat(cachePath).then(() => true, () => false)) {
    const meta = await readIndexMeta(cachePath).catch(() => null);
    if (meta && meta.sceneKey === key && meta.modelId === manifest.id) {
      progress({ done: grid.count, total: grid.count, skippedNodata: meta.tilesSkippedNodata, skippedCloudy: meta.tilesSkippedCloudy, tilesPerSecond: 0, etaSeconds: 0 }, 'cached');
      return deliver(meta, true);
    }
  }

  progress({ done: 0, total: grid.count, skippedNodata: 0, skippedCloudy: 0, tilesPerSecond: 0, etaSeconds: null }, 'starting');
  const job: EmbedJob = { scenePath, model: opts.model, providers: opts.providers, size, stride, minValidFraction: minValid, maxCloudFraction: maxCloud, threads: opts.threads, precision: opts.precision };
  const res = await embedInWorker(job, (p) => progress(p, 'embedding'), opts.signal);
  progress({ done: grid.count, total: grid.count, skippedNodata: res.skippedNodata, skippedCloudy: res.skippedCloudy, tilesPerSecond: 0, etaSeconds: 0, provider: res.provider }, 'writing');

  const gridIdx = new Int32Array(res.tiles);
  const n = gridIdx.length;
  if (n === 0 && res.skippedCloudy > 0) {
    throw new MslensError('SCENE_UNREADABLE', `${basename(scenePath)} has no tile left to index: ${res.skippedCloudy} of ${grid.count} are more than ${Math.round(maxCloud * 100)} % cloud and the rest nodata. Allow more cloud, or choose a clearer acquisition.`, { path: scenePath, cloudy: res.skippedCloudy }, { action: { kind: 'option', name: 'max-cloud', change: 'up-to-1' } });
  }
  if (n === 0) {
    throw new MslensError('SCENE_UNREADABLE', `${basename(scenePath)} has no tile with at least ${Math.round(minValid * 100)} % valid pixels; every tile is nodata.`, { path: scenePath });
  }
  const fractions = new Float32Array(res.fractions);
  const column = (mask: MaskFraction): Float32Array => {
    const slot = MASK_FRACTIONS.indexOf(mask);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = fractions[i * MASK_COUNT + slot];
    return out;
  };
  const footprint = new Float64Array(n * 10);
  const footprintOf = makeFootprinter(info.crs, info.transform);
  const tiles: IndexTiles = {
    tileId: [], sceneId: new Array<string>(n).fill(sceneId),
    row: new Int32Array(n), col: new Int32Array(n), x: new Int32Array(n), y: new Int32Array(n),
    width: new Int32Array(n).fill(size), height: new Int32Array(n).fill(size),
    validFraction: new Float32Array(res.valid),
    cloudFraction: column('cloud'), shadowFraction: column('shadow'), snowFraction: column('snow'), nodataFraction: column('nodata'),
    footprint, embeddings: new Float32Array(res.embeddings),
  };
  for (let i = 0; i < n; i++) {
    const row = Math.floor(gridIdx[i] / grid.cols);
    const col = gridIdx[i] % grid.cols;
    const t = grid.tile(row, col);
    tiles.tileId.push(tileId(row, col));
    tiles.row[i] = row; tiles.col[i] = col; tiles.x[i] = t.window.x; tiles.y[i] = t.window.y;
    footprintOf(t.window, footprint, i * 10);
  }
  const meta: IndexMeta = {
    formatVersion: INDEX_FORMAT_VERSION,
    indexId: `${sceneId}-${cacheName}`,
    sceneId, scenePath, sceneKey: key,
    modelId: manifest.id, modelSha256: res.sha256, embeddingDim: res.dim,
    tiling: { size, stride },
    sceneCrs: { epsg: info.crs.epsg, proj4: info.crs.proj4 },
    sceneSize: { width: info.width, height: info.height },
    date: info.date,
    mgrsTile: info.tile,
    createdAt: new Date().toISOString(),
    tilesTotal: grid.count, tilesSkipped: res.skippedNodata + res.skippedCloudy,
    tilesSkippedNodata: res.skippedNodata, tilesSkippedCloudy: res.skippedCloudy,
    masks: res.masks ? 'SCL' : null, maxCloudFraction: maxCloud,
  };
  await mkdir(opts.cacheDir, { recursive: true });
  await writeIndexFile(cachePath, meta, tiles);
  return deliver(meta, false, res.provider);
}
