/**
 * Scoring embeddings against query vectors: one matrix product in ONNX Runtime (multi-threaded,
 * SIMD), then top-k selection. Sessions are cached per embedding width.
 */
import ort from '../models/onnx/runtime.ts';
import { GraphBuilder } from '../models/onnx/graph-builder.ts';

const sessions = new Map<number, Promise<ort.InferenceSession>>();

function matmulSession(dim: number): Promise<ort.InferenceSession> {
  let s = sessions.get(dim);
  if (!s) {
    const g = new GraphBuilder('mslens-scores');
    const e = g.input('embeddings', 'float32', ['n', dim]);
    const q = g.input('queries', 'float32', [dim, 'k']);
    g.alias(g.op('MatMul', [e, q]), 'scores');
    g.output('scores', 'float32', ['n', 'k']);
    s = ort.InferenceSession.create(g.toBytes({ opset: 18 }), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
    sessions.set(dim, s);
  }
  return s;
}

/**
 * scores[i × k + j] = embeddings[i] · queries[j]. `queries` is k × dim (row per query).
 */
export async function scoreMatrix(embeddings: Float32Array, n: number, dim: number, queries: Float32Array, k: number): Promise<Float32Array> {
  if (n === 0) return new Float32Array(0);
  const qt = new Float32Array(dim * k);
  for (let j = 0; j < k; j++) for (let d = 0; d < dim; d++) qt[d * k + j] = queries[j * dim + d];
  const session = await matmulSession(dim);
  const out = await session.run({
    embeddings: new ort.Tensor('float32', embeddings.subarray(0, n * dim), [n, dim]),
    queries: new ort.Tensor('float32', qt, [dim, k]),
  });
  return out.scores.data as Float32Array;
}

/** Indices of the k largest scores at or above `threshold`, best first. Ties keep index order. */
export function topK(scores: Float32Array, k: number, threshold = Number.NEGATIVE_INFINITY, exclude?: ReadonlySet<number>): number[] {
  // A min-heap of size k: O(n log k).
  const heap: number[] = [];
  const worse = (a: number, b: number): boolean => scores[a] < scores[b] || (scores[a] === scores[b] && a > b);
  const up = (i: number): void => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l], heap[m])) m = l;
      if (r < heap.length && worse(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!(s >= threshold) || exclude?.has(i)) continue;
    if (heap.length < k) { heap.push(i); up(heap.length - 1); } else if (worse(heap[0], i)) { heap[0] = i; down(0); }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : -1));
}

export function l2normalize(v: Float32Array, dim: number): Float32Array {
  for (let off = 0; off < v.length; off += dim) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[off + d] * v[off + d];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dim; d++) v[off + d] *= inv;
  }
  return v;
}
