// Search latency (one matrix-vector product in ONNX Runtime + top-k) over stored embeddings.
import { scoreMatrix, topK, l2normalize } from '../../src-main/core/analysis/scoring.ts';
import { report, timeIt } from './bench-util.ts';

function randomUnit(n: number, dim: number, seed = 1): Float32Array {
  const v = new Float32Array(n * dim);
  let s = seed >>> 0;
  for (let i = 0; i < v.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 32 - 0.5;
  }
  return l2normalize(v, dim);
}

export async function benchSearch(): Promise<void> {
  for (const dim of [8, 512]) {
    for (const n of [100_000, 1_000_000]) {
      const emb = randomUnit(n, dim);
      const q = randomUnit(1, dim, 7);
      const ms = await timeIt(async () => topK(await scoreMatrix(emb, n, dim, q, 1), 10), 5);
      report(`search n=${n.toLocaleString('en')} dim=${dim}`, { 'median ms': ms, 'M embeddings/s': n / ms / 1000 });
    }
  }
}
