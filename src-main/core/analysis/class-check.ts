/**
 * What a model can and can't do with a class list, said before classifying: classes it has no
 * concept for, classes it can't tell apart (their class vectors are the same), and, for a model
 * whose dimensions are concepts, the concepts no class names (tiles of them come out uncertain).
 */
import { MslensError } from '../errors.ts';
import type { TextEncoder } from '../models/text-encoder.ts';
import { classVectors } from './zero-shot.ts';

export interface ClassCheck {
  modelId: string;
  /** Classes the model has no concept for. */
  unknown: string[];
  /** Groups of classes the model sees as one: it can't tell them apart. */
  indistinct: string[][];
  /** The model's concepts that no class names (only models whose dimensions are concepts). */
  uncovered: string[];
  /** The above as sentences, for any front to show. */
  notes: string[];
}

export interface ClassCheckModel {
  id: string;
  name: string;
  promptTemplates: readonly string[];
  embeddingDim: number;
  /** Names of the embedding dimensions, for models whose dimensions are concepts. */
  concepts?: readonly string[];
}

/** Class vectors closer than this (cosine) are the same class to the model. */
const SAME = 0.995;
/** A concept that no class vector leans towards by at least this much is not covered. */
const COVERED = 0.2;

const cosine = (a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number => {
  let s = 0;
  for (let d = 0; d < dim; d++) s += a[i * dim + d] * b[j * dim + d];
  return s;
};

const quoted = (list: readonly string[]): string => {
  const q = list.map((c) => `"${c}"`);
  return q.length < 2 ? q.join('') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
};

/** Each class's vector, or null for a class the model has no concept for. */
async function vectorsOf(text: TextEncoder, classes: readonly string[], model: ClassCheckModel): Promise<(Float32Array | null)[]> {
  const out: (Float32Array | null)[] = [];
  for (const c of classes) {
    try {
      out.push(await classVectors(text, [c], model.promptTemplates, model.embeddingDim));
    } catch (err) {
      if (err instanceof MslensError && err.code === 'QUERY_NOT_UNDERSTOOD') out.push(null);
      else throw err;
    }
  }
  return out;
}

/** The check, and the vectors of the classes (all of them when none is unknown). */
export async function checkClasses(text: TextEncoder, classes: readonly string[], model: ClassCheckModel): Promise<{ check: ClassCheck; vectors: Float32Array | null }> {
  const dim = model.embeddingDim;
  const each = await vectorsOf(text, classes, model);
  const unknown = classes.filter((_, i) => each[i] === null);
  const known = classes.map((c, i) => ({ c, v: each[i] })).filter((x): x is { c: string; v: Float32Array } => x.v !== null);
  const vectors = new Float32Array(known.length * dim);
  known.forEach((k, i) => vectors.set(k.v, i * dim));

  // Groups of the same vector, in the order the classes were given.
  const group = known.map((_, i) => i);
  for (let i = 0; i < known.length; i++) {
    for (let j = 0; j < i; j++) if (group[j] === j && cosine(vectors, i, vectors, j, dim) >= SAME) { group[i] = j; break; }
  }
  const indistinct = known.map((_, i) => known.filter((__, j) => group[j] === i).map((k) => k.c)).filter((g) => g.length > 1);

  const concepts = model.concepts ?? [];
  const uncovered = concepts.filter((_, d) => known.every((__, i) => vectors[i * dim + d] < COVERED));

  const notes: string[] = [];
  if (unknown.length) notes.push(`${model.name} has no concept for ${quoted(unknown)}: it knows ${concepts.length ? concepts.join(', ') : 'other words'}.`);
  for (const g of indistinct) notes.push(`${model.name} can't tell ${quoted(g)} apart: their tiles come out uncertain. Keep one of them, or merge them.`);
  if (uncovered.length && known.length) notes.push(`No class names ${uncovered.join(', ')}: tiles of ${uncovered.length > 1 ? 'those' : 'it'} come out uncertain rather than given another class.`);
  return { check: { modelId: model.id, unknown, indistinct, uncovered, notes }, vectors: unknown.length ? null : vectors };
}
