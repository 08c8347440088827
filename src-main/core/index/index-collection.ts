/**
 * Several indexes (scenes, dates) queried as one: their tiles are concatenated in the order
 * given, and each tile remembers which index (scene, date, MGRS tile) it came from. All must
 * come from the same model.
 */
import { MslensError } from '../errors.ts';
import type { LoadedIndex } from './index-cache.ts';
import type { FloatKey } from './index-columns.ts';
import type { IndexMeta, IndexTiles } from './index-store.ts';

export interface IndexCollection {
  paths: string[];
  metas: IndexMeta[];
  modelId: string;
  modelSha256: string;
  embeddingDim: number;
  tiles: IndexTiles;
  /** Per tile, the position in `metas` of the index it came from. */
  sceneOf: Int32Array;
}

/** What results are drawn from: the tiles, and the scene facts of each. */
export type TileTable = Pick<IndexCollection, 'tiles' | 'metas' | 'sceneOf'>;

function concat<T extends Float32Array | Float64Array | Int32Array>(parts: T[], make: (n: number) => T): T {
  const out = make(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function mergeIndexes(loaded: readonly LoadedIndex[]): IndexCollection {
  const first = loaded[0].meta;
  for (const l of loaded) {
    if (l.meta.modelId !== first.modelId || l.meta.modelSha256 !== first.modelSha256) {
      throw new MslensError('BAD_ARGUMENT', `${l.path} was built with ${l.meta.modelId}, the others with ${first.modelId}. Indexes searched together must come from the same model.`, { path: l.path });
    }
  }
  const sceneOf = new Int32Array(loaded.reduce((s, l) => s + l.tiles.tileId.length, 0));
  let at = 0;
  loaded.forEach((l, k) => { sceneOf.fill(k, at, at + l.tiles.tileId.length); at += l.tiles.tileId.length; });
  const base = { paths: loaded.map((l) => l.path), metas: loaded.map((l) => l.meta), modelId: first.modelId, modelSha256: first.modelSha256, embeddingDim: first.embeddingDim, sceneOf };
  if (loaded.length === 1) return { ...base, tiles: loaded[0].tiles };
  const t = loaded.map((l) => l.tiles);
  const floats = (key: FloatKey): Float32Array => concat(t.map((x) => x[key]), (n) => new Float32Array(n));
  return {
    ...base,
    tiles: {
      tileId: t.flatMap((x) => x.tileId),
      sceneId: t.flatMap((x) => x.sceneId),
      row: concat(t.map((x) => x.row), (n) => new Int32Array(n)),
      col: concat(t.map((x) => x.col), (n) => new Int32Array(n)),
      x: concat(t.map((x) => x.x), (n) => new Int32Array(n)),
      y: concat(t.map((x) => x.y), (n) => new Int32Array(n)),
      width: concat(t.map((x) => x.width), (n) => new Int32Array(n)),
      height: concat(t.map((x) => x.height), (n) => new Int32Array(n)),
      validFraction: floats('validFraction'),
      cloudFraction: floats('cloudFraction'),
      shadowFraction: floats('shadowFraction'),
      snowFraction: floats('snowFraction'),
      nodataFraction: floats('nodataFraction'),
      footprint: concat(t.map((x) => x.footprint), (n) => new Float64Array(n)),
      embeddings: concat(t.map((x) => x.embeddings), (n) => new Float32Array(n)),
    },
  };
}

/** Finds a tile by "r003c007" (when only one scene has it) or "sceneId/r003c007". */
export function findTile(tiles: IndexTiles, ref: string): number {
  const slash = ref.lastIndexOf('/');
  const scene = slash >= 0 ? ref.slice(0, slash) : null;
  const id = slash >= 0 ? ref.slice(slash + 1) : ref;
  const matches: number[] = [];
  tiles.tileId.forEach((t, i) => { if (t === id && (scene === null || tiles.sceneId[i] === scene)) matches.push(i); });
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new MslensError('BAD_ARGUMENT', `Tile ${id} exists in ${matches.length} scenes (${matches.map((i) => tiles.sceneId[i]).join(', ')}); name one as SCENE/${id}.`, { tile: ref });
  }
  throw new MslensError('BAD_ARGUMENT', `Tile ${ref} is not in this index (ids look like ${tiles.tileId[0]}; tiles skipped as nodata or cloudy have none).`, { tile: ref });
}
