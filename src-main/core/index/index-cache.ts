/** Loaded indexes, kept in memory while their file is unchanged, so re-scoring is milliseconds. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MslensError } from '../errors.ts';
import { readIndexFile, type IndexMeta, type IndexTiles } from './index-store.ts';

export interface LoadedIndex {
  path: string;
  meta: IndexMeta;
  tiles: IndexTiles;
}

export class IndexCache {
  private readonly entries = new Map<string, { mtimeMs: number; size: number; loaded: Promise<LoadedIndex> }>();

  constructor(private readonly capacity = 8) {}

  async load(path: string): Promise<LoadedIndex> {
    const full = resolve(path);
    const st = await stat(full).catch(() => null);
    if (!st) throw new MslensError('NOT_FOUND', `${path} does not exist.`, { path }, { action: { kind: 'build-index' } });
    const hit = this.entries.get(full);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.loaded;
    const loaded = readIndexFile(full).then(({ meta, tiles }) => ({ path: full, meta, tiles }));
    this.entries.set(full, { mtimeMs: st.mtimeMs, size: st.size, loaded });
    loaded.catch(() => this.entries.delete(full));
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return loaded;
  }
}
