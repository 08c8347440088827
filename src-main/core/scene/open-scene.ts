import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { MslensError } from '../errors.ts';
import { GeoTiffSource } from './geotiff-source.ts';
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
    canOpen: async (path) => TIFF_EXT.has(extname(path).toLowerCase()) || (await isTiff(path)),
    open: (path, signal) => GeoTiffSource.open(path, signal),
  },
];

async function isTiff(path: string): Promise<boolean> {
  const { open } = await import('node:fs/promises');
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    return (b[0] === 0x49 && b[1] === 0x49) || (b[0] === 0x4d && b[1] === 0x4d);
  } finally {
    await fh.close();
  }
}

export async function openScene(path: string, signal?: AbortSignal): Promise<BandSource> {
  const st = await stat(path).catch(() => null);
  if (!st) throw new MslensError('NOT_FOUND', `${path} does not exist. Check the path, or run \`mslens demo\` to make a demo scene.`, { path });
  if (!st.isFile()) throw new MslensError('SCENE_UNREADABLE', `${basename(path)} is a folder. Open a GeoTIFF or COG file of the scene.`, { path });
  for (const opener of OPENERS) {
    if (await opener.canOpen(path)) return opener.open(path, signal);
  }
  throw new MslensError('SCENE_UNREADABLE', `${basename(path)} is not a format mslens opens. Open a Sentinel-2 GeoTIFF or COG.`, { path });
}
