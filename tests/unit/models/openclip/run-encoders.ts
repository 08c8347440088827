/** Test helpers: run converted encoders with onnxruntime-node. */
import ort from '../../../../src-main/core/models/onnx/runtime.ts';

export interface EncoderOutputs {
  embedding: Float32Array;
  features: Float32Array;
}

export async function openSession(path: string, level: 'disabled' | 'all' = 'all'): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, { graphOptimizationLevel: level, intraOpNumThreads: 2 });
}

export async function runImage(session: ort.InferenceSession, pixels: Float32Array, n: number, bands: number, size: number): Promise<EncoderOutputs> {
  const out = await session.run({ pixels: new ort.Tensor('float32', pixels, [n, bands, size, size]) });
  return { embedding: out.embedding.data as Float32Array, features: out.features.data as Float32Array };
}

export async function runText(session: ort.InferenceSession, rows: readonly (readonly number[])[]): Promise<EncoderOutputs> {
  const L = rows[0].length;
  const ids = BigInt64Array.from(rows.flat().map((v) => BigInt(v)));
  const out = await session.run({ tokens: new ort.Tensor('int64', ids, [rows.length, L]) });
  return { embedding: out.embedding.data as Float32Array, features: out.features.data as Float32Array };
}

/** Row i of a row-major [n, d] array. */
export const row = (a: Float32Array, i: number, d: number): Float32Array => a.subarray(i * d, (i + 1) * d);
