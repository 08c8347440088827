/**
 * Zero-shot classification as in CLIP: each class is the renormalised mean of its prompt
 * embeddings (one per template, each normalised); logits = scale · cosine; softmax. A tile the
 * classes don't separate (probabilities near uniform, or its best two tied) is labelled
 * "uncertain" rather than given whichever class comes first.
 */
import type { TileTable } from '../index/index-collection.ts';
import type { TextEncoder } from '../models/text-encoder.ts';
import { l2normalize, scoreMatrix } from './scoring.ts';
import { tileRef, type TileRef } from './tile-refs.ts';

export interface ClassifiedTile extends TileRef {
  label: string;
  probs: Record<string, number>;
}

/** The label of a tile the classes don't separate. */
export const UNCERTAIN = 'uncertain';
/** Entropy over log(classes) above which probabilities are near uniform. */
const NEAR_UNIFORM = 0.95;
/** Best two probabilities closer than this are a tie. */
const TIED = 0.01;

/** Whether probabilities (summing to 1) pick no class: near uniform, or the best two tied. */
export function isUncertain(p: ArrayLike<number>): boolean {
  const n = p.length;
  if (n < 2) return false;
  let first = 0;
  let second = 0;
  let entropy = 0;
  for (let c = 0; c < n; c++) {
    const v = p[c];
    if (v > first) { second = first; first = v; } else if (v > second) second = v;
    if (v > 0) entropy -= v * Math.log(v);
  }
  return first - second < TIED || entropy / Math.log(n) > NEAR_UNIFORM;
}

export async function classVectors(text: TextEncoder, classes: readonly string[], templates: readonly string[], dim: number): Promise<Float32Array> {
  const out = new Float32Array(classes.length * dim);
  for (let c = 0; c < classes.length; c++) {
    const prompts = templates.length ? templates.map((t) => t.replaceAll('{c}', classes[c])) : [classes[c]];
    const emb = l2normalize(await text.embed(prompts), dim);
    for (let p = 0; p < prompts.length; p++) for (let d = 0; d < dim; d++) out[c * dim + d] += emb[p * dim + d];
  }
  return l2normalize(out, dim);
}

export async function classifyTiles(table: TileTable, dim: number, classes: readonly string[], vectors: Float32Array, logitScale: number): Promise<ClassifiedTile[]> {
  const { tiles } = table;
  const n = tiles.tileId.length;
  const C = classes.length;
  const logits = await scoreMatrix(tiles.embeddings, n, dim, vectors, C);
  const result: ClassifiedTile[] = [];
  const p = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, logitScale * logits[i * C + c]);
    let sum = 0;
    for (let c = 0; c < C; c++) { p[c] = Math.exp(logitScale * logits[i * C + c] - max); sum += p[c]; }
    let best = 0;
    const probs: Record<string, number> = {};
    for (let c = 0; c < C; c++) {
      p[c] /= sum;
      probs[classes[c]] = Math.round(p[c] * 1e6) / 1e6;
      if (p[c] > p[best]) best = c;
    }
    result.push({ ...tileRef(table, i), label: isUncertain(p.subarray(0, C)) ? UNCERTAIN : classes[best], probs });
  }
  return result;
}
