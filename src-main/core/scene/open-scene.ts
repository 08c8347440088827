import { open, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { MslensError } from '../errors.ts';
import { requireInputFile } from '../input-files.ts';
import { BandFilesSource, isBandFolder } from './band-files-source.ts';
import { GeoTiffSource } from './geotiff-source.ts';
import { checkRasterInfo } from './raster-checks.ts';
import { guardedSource } from './read-errors.ts';
import { jp2BandFolderOpener, safeOpener } from './safe/safe-openers.ts';
import { isHttpUrl, resolveLocation } from './stac/location.ts';
import { isStacItemLocation, openStacItem } from './stac/open-stac-item.ts';
import type { BandSource } from './types.ts';

export interface SceneOpener {
  readonly kind: 'cog-stack' | 'band-files' | 'stac-item' | 'safe';
  canOpen(path: string): Promise<boolean>;
  open(path: string, signal?: AbortSignal): Promise<BandSource>;
}

const TIFF_EXT = new Set(['.tif', '.tiff', '.gtiff', '']);

export const OPENERS: SceneOpener[] = [
  {
    kind: 'cog-stack',
    canOpen: async (path) => (await isFile(path)) && (TIFF_EXT.has(extname(path).toLowerCase()) || (await isTiff(path))),
    open: (path, signal) => GeoTiffSource.open(path, signal),
  },
  {
    kind: 'band-files',
    canOpen: (path) => isBandFolder(path),
    open: (path, signal) => BandFilesSource.open(path, { signal }),
  },
  {
    kind: 'stac-item',
    canOpen: (path) => isStacItemLocation(path),
    open: (path, signal) => openStacItem(path, { signal }),
  },
  safeOpener,
  jp2BandFolderOpener,
];

/** A scene location for the openers: a URL (STAC item) as it is, a path made absolute. */
export { isHttpUrl, resolveLocation as resolveSceneLocation };

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

async function isTiff(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    return (b[0] === 0x49 && b[1] === 0x49) || (b[0] === 0x4d && b[1] === 0x4d);
  } finally {
    await fh.close();
  }
}

/**
 * Opens a scene with the first opener that takes it. Every source is checked (sizes, georeferencing)
 * before it is handed out, and its reads turn decoder failures into SCENE_UNREADABLE.
 */
export async function openScene(path: string, signal?: AbortSignal): Promise<BandSource> {
  const source = await openAny(path, signal);
  try {
    checkRasterInfo(path, source.info);
  } catch (err) {
    await source.close().catch(() => {});
    throw err;
  }
  return guardedSource(path, source);
}

async function openAny(path: string, signal?: AbortSignal): Promise<BandSource> {
  if (isHttpUrl(path)) return openStacItem(path, { signal });
  const st = await requireInputFile(path, { what: 'scene', folder: true, code: 'SCENE_UNREADABLE' }).catch((err: unknown) => {
    if (err instanceof MslensError && err.code === 'NOT_FOUND') throw new MslensError('NOT_FOUND', `${path} does not exist. Check the path.`, { path }, { action: { kind: 'make-demo' } });
    throw err;
  });
  for (const opener of OPENERS) {
    if (await opener.canOpen(path)) return opener.open(path, signal);
  }
  if (st.isDirectory()) {
    const what = 'has no Sentinel-2 band files. Open a GeoTIFF or COG stack of the scene, a SAFE product (the .SAFE folder or its .zip), or a folder with one file per band named like B02.tif, T33UUP_20240612T101031_B02_10m.jp2 or blue.tif (Earth Search names)';
    throw new MslensError('SCENE_UNREADABLE', `${basename(path)} is a folder that ${what}.`, { path });
  }
  throw new MslensError('SCENE_UNREADABLE', `${basename(path)} is not a format mslens opens. Open a Sentinel-2 GeoTIFF or COG, a SAFE product (the .SAFE folder or its .zip), or a STAC item (its .json file or URL).`, { path });
}
