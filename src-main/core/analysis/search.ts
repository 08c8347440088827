import type { TileTable } from '../index/index-collection.ts';
import { scoreMatrix, topK } from './scoring.ts';
import { tileRef, type TileRef } from './tile-refs.ts';

export interface Hit extends TileRef {
  score: number;
  /** Row of the tile in the (collection) index. */
  index: number;
}

export interface RankOptions {
  /** @default 20 */
  topK?: number;
  /** Only scores at or above this count as hits. */
  threshold?: number;
  /** Tile indices never returned (e.g. the examples of a find-similar query). */
  exclude?: ReadonlySet<number>;
}

export interface Ranking {
  hits: Hit[];
  /** One score per indexed tile, in index order. */
  scores: Float32Array;
}

export async function rankTiles(table: TileTable, dim: number, query: Float32Array, opts: RankOptions = {}): Promise<Ranking> {
  const { tiles } = table;
  const n = tiles.tileId.length;
  const scores = await scoreMatrix(tiles.embeddings, n, dim, query, 1);
  const best = topK(scores, opts.topK ?? 20, opts.threshold, opts.exclude);
  const round = (v: number): number => Math.round(v * 1e6) / 1e6;
  return { hits: best.map((i) => ({ ...tileRef(table, i), score: round(scores[i]), index: i })), scores };
}
