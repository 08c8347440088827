/**
 * Find-similar in the manner of Earth Index: the query is the mean of the example tile and the
 * positives, moved away from the mean of the negatives (Rocchio), then renormalised.
 */
import type { IndexTiles } from '../index/index-store.ts';
import { l2normalize } from './scoring.ts';

/** Weight of the negatives' mean. */
export const NEGATIVE_WEIGHT = 0.5;

export function similarQuery(tiles: IndexTiles, dim: number, positives: readonly number[], negatives: readonly number[]): Float32Array {
  const q = new Float32Array(dim);
  const add = (idx: readonly number[], w: number): void => {
    for (const i of idx) for (let d = 0; d < dim; d++) q[d] += (w / idx.length) * tiles.embeddings[i * dim + d];
  };
  add(positives, 1);
  if (negatives.length) add(negatives, -NEGATIVE_WEIGHT);
  return l2normalize(q, dim);
}
