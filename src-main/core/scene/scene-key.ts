/**
 * A content key for a scene file, cheap enough for multi-GB files: sha256 over the size, the
 * first and last 1 MiB and 32 evenly spaced 64 KiB samples. Renaming or touching a file keeps
 * its key; changing its pixels or header changes it. A folder of band files is keyed by its
 * band files' names and keys (GeoTIFF and JPEG 2000; a SAFE folder by its metadata and band
 * files). A STAC item (URL or .json) is keyed by the item's content.
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { findBandFiles } from './band-files-source.ts';
import { safeKeyFiles } from './safe/safe-product.ts';
import { isStacItemLocation, stacItemKey, StacItemSource } from './stac/open-stac-item.ts';
import type { BandSource } from './types.ts';

/** `opened`: the scene, when it is open already (a STAC item then is not fetched again). */
export async function sceneKey(path: string, opened?: BandSource): Promise<string> {
  if (opened instanceof StacItemSource) return opened.key;
  if (await isStacItemLocation(path)) return stacItemKey(path);
  if ((await stat(path)).isDirectory()) {
    const hash = createHash('sha256').update('band-files;');
    for (const f of await findBandFiles(path)) hash.update(`${f.name}:${await sceneKey(f.path)};`);
    for (const f of await safeKeyFiles(path)) hash.update(`${f.name}:${await sceneKey(f.path)};`);
    return hash.digest('hex').slice(0, 32);
  }
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const hash = createHash('sha256').update(`size:${size};`);
    const read = async (pos: number, len: number): Promise<void> => {
      const n = Math.max(0, Math.min(len, size - pos));
      if (n === 0) return;
      const buf = Buffer.alloc(n);
      await fh.read(buf, 0, n, pos);
      hash.update(buf);
    };
    await read(0, 1 << 20);
    for (let i = 0; i < 32; i++) await read(Math.floor((size * i) / 32), 1 << 16);
    await read(Math.max(0, size - (1 << 20)), 1 << 20);
    return hash.digest('hex').slice(0, 32);
  } finally {
    await fh.close();
  }
}
