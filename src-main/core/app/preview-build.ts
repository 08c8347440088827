/**
 * Writes a scene's true-colour preview: B04/B03/B02 of any BandSource as a tiled, deflated COG
 * with internal overviews, in the scene's CRS, on its grid scaled by a whole factor.
 *
 * Resolution: a scene whose long side is at most `maxSize` (4096 px by default) keeps its 10 m
 * pixels; a larger one is box-averaged by the smallest whole factor that brings it under, so a
 * full 10980² Sentinel-2 tile becomes 3660² at 30 m. The map only needs display quality (the
 * analyses read the scene itself), and 30 m pixels still show fields and roads; at full
 * resolution the preview of a full tile would be nine times the data (720 MB of samples) for
 * detail that shows only when zoomed far into one tile. Whole factors keep every preview pixel
 * the exact mean of the scene pixels under it.
 *
 * Streaming: the scene is read in windows of one preview tile row (factor × tileSize scene
 * rows), a few preview tiles wide, with the next window read while the current one is
 * averaged; the pyramid keeps one strip per level. Memory stays near 50 MB whatever the scene.
 */
import { MslensError, throwIfAborted } from '../errors.ts';
import { createGeoTiffWriter, writerLevels, type TileData, type WriterLevel } from '../scene/geotiff-writer.ts';
import type { BandName, BandSource, GeoTransform, RasterInfo, SampleType } from '../scene/types.ts';
import { boxAverage, PreviewPyramid } from './preview-pyramid.ts';

export const PREVIEW_BANDS: readonly BandName[] = ['B04', 'B03', 'B02'];

export interface PreviewOptions {
  /** Longest side of the preview's full-resolution level, in pixels. @default 4096 */
  maxSize?: number;
  /** Tile edge of the preview, a multiple of 16; overviews are made until one tile holds a level. @default 256 */
  tileSize?: number;
}

export interface PreviewPlan {
  /** Scene pixels per preview pixel, along each axis. */
  factor: number;
  width: number;
  height: number;
  transform: GeoTransform;
  epsg: number;
  tileSize: number;
  /** Level 0 and each overview. */
  levels: WriterLevel[];
  sampleType: SampleType;
  nodata: number | null;
}

/** Integer types up to 16 bits are kept; anything else is shown from float32. */
function previewSampleType(t: SampleType): SampleType {
  return t === 'uint8' || t === 'uint16' || t === 'int16' ? t : 'float32';
}

export function planPreview(info: RasterInfo, opts: PreviewOptions = {}): PreviewPlan {
  const maxSize = opts.maxSize ?? 4096;
  const tileSize = opts.tileSize ?? 256;
  const missing = PREVIEW_BANDS.filter((b) => !info.bands.includes(b));
  if (missing.length) {
    throw new MslensError('BANDS_MISSING', `This scene has no ${missing.join(', ')}: mslens needs B04, B03 and B02 to show it in true colour.`, { missing: missing.join(',') });
  }
  const factor = Math.max(1, Math.ceil(Math.max(info.width, info.height) / maxSize));
  const width = Math.ceil(info.width / factor);
  const height = Math.ceil(info.height / factor);
  let overviews = 0;
  while (Math.ceil(Math.max(width, height) / 2 ** overviews) > tileSize) overviews++;
  const [x0, dx, , y0, , dy] = info.transform;
  const sampleType = previewSampleType(info.sampleType);
  return {
    factor, width, height, tileSize, sampleType,
    transform: [x0, dx * factor, 0, y0, 0, dy * factor],
    epsg: info.crs.epsg,
    levels: writerLevels(width, height, tileSize, overviews),
    nodata: info.nodata !== null && (sampleType === 'float32' || Number.isInteger(info.nodata)) ? info.nodata : null,
  };
}

export interface WritePreviewOptions {
  signal?: AbortSignal;
  /** Called after each window with the windows done and the total. */
  onProgress?: (done: number, total: number) => void;
}

const TILE_CTOR: Partial<Record<SampleType, new (n: number) => TileData>> = { uint8: Uint8Array, uint16: Uint16Array, int16: Int16Array, float32: Float32Array };

/** Scene windows of at most this many samples per band (× 3 bands × 4 bytes ≈ 12 MB), at least one preview tile. */
const WINDOW_SAMPLES = 1024 * 1024;

export async function writePreview(source: BandSource, path: string, plan: PreviewPlan, opts: WritePreviewOptions = {}): Promise<void> {
  const { info } = source;
  const { factor: f, tileSize: T, width, sampleType, nodata } = plan;
  const { signal, onProgress } = opts;
  const writer = createGeoTiffWriter({
    path, width, height: plan.height, bandCount: 3, sampleType, tileSize: T, transform: plan.transform, epsg: plan.epsg,
    nodata, bandDescriptions: PREVIEW_BANDS, overviews: plan.levels.length - 1, cog: true,
    // Reflectance noise barely compresses: level 1 makes files 2 % larger than level 6, faster.
    deflateLevel: 1,
    metadata: { PREVIEW_FACTOR: String(f), ...(info.date ? { ACQUISITION_DATE: info.date } : {}), ...(info.radiometricOffset ? { RADIOMETRIC_OFFSET: String(info.radiometricOffset) } : {}) },
  });
  const ctor = TILE_CTOR[sampleType]!;
  const pyramid = new PreviewPyramid({
    levels: plan.levels, tileSize: T, bands: 3, integer: sampleType !== 'float32', fill: nodata ?? 0,
    newTile: () => new ctor(T * T * 3),
    write: (level, tx, ty, tile) => writer.writeTileAsync(tx, ty, tile, level),
  });

  // Windows: one preview tile row high, a whole number of preview tiles wide.
  const winH = f * T;
  const tilesPerWindow = Math.max(1, Math.floor(WINDOW_SAMPLES / (winH * f * T)));
  const winW = Math.min(info.width, tilesPerWindow * f * T);
  const windows: { x: number; y: number; width: number; height: number; last: boolean }[] = [];
  for (let y = 0; y < info.height; y += winH) {
    for (let x = 0; x < info.width; x += winW) {
      windows.push({ x, y, width: Math.min(winW, info.width - x), height: Math.min(winH, info.height - y), last: x + winW >= info.width });
    }
  }
  const buffers = [0, 1].map(() => PREVIEW_BANDS.map(() => new Float32Array(winW * winH)));
  const read = (i: number): Promise<Float32Array[]> => {
    const { x, y, width: w, height: h } = windows[i];
    const p = source.readWindow({ x, y, width: w, height: h }, PREVIEW_BANDS, signal, buffers[i % 2]);
    p.catch(() => {}); // awaited below; this only keeps a failed read-ahead from going unhandled meanwhile
    return p;
  };

  let next: Promise<Float32Array[]> | null = null;
  try {
    next = read(0);
    for (let i = 0; i < windows.length; i++) {
      const win = windows[i];
      const planes = await next!;
      throwIfAborted(signal);
      next = i + 1 < windows.length ? read(i + 1) : null;
      boxAverage(planes, win.width, win.height, f, info.nodata, pyramid.strip, width, win.x / f);
      if (win.last) await pyramid.commit(Math.ceil(win.height / f));
      onProgress?.(i + 1, windows.length);
    }
    await writer.close();
  } catch (err) {
    await next?.catch(() => {});
    await writer.abort();
    throw err;
  }
}
