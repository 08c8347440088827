/**
 * A full-size Llama3-MS-CLIP checkpoint with random weights: open_clip ViT-B/16 with a
 * 10-band patch embedding, in the real key layout (three aliased prefixes sharing one storage
 * per tensor, plus `temperature`), written by tests/fixtures/make-torch-checkpoint.ts.
 *
 * Weights follow open_clip's own initialisation scales (Gaussian, std 1/√fan_in for linear
 * layers, LayerNorm gains near 1), so activations stay in the ranges a trained model has and
 * timing and int8 error are meaningful. Values are streamed, so writing it (~600 MB) holds
 * almost nothing in memory.
 */
import { parseOpenClipConfig, VIT_B_16_CONFIG, expectedTensors } from '../../../../src-main/core/models/openclip/index.ts';
import { writeTorchCheckpoint, type StorageSpec, type TensorSpec } from '../../../fixtures/make-torch-checkpoint.ts';

export const FULL_SIZE_CONFIG = parseOpenClipConfig(VIT_B_16_CONFIG);
export const FULL_SIZE_BANDS = 10;
const PREFIXES = ['clip_base_model.model.', 'text_encoder.model.', 'image_encoder.model.'];

/** Standard normal values that are a pure function of (seed, index): splitmix32 hashes + Box-Muller. */
function gaussianFill(seed: number, std: number, mean = 0): (out: Float32Array, start: number) => void {
  const hash = (x: number) => {
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
    return (x ^ (x >>> 16)) >>> 0;
  };
  const s = Math.imul(seed + 1, 0x9e3779b9) >>> 0;
  return (out, start) => {
    for (let i = 0; i < out.length; i += 2) {
      const k = (start + i) >>> 1;
      const u1 = (hash(s ^ (2 * k)) + 1) / 4294967297; // (0, 1)
      const u2 = hash((s + 0x632be5ab) ^ (2 * k + 1)) / 4294967296;
      const r = Math.sqrt(-2 * Math.log(u1)) * std;
      out[i] = mean + r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < out.length) out[i + 1] = mean + r * Math.sin(2 * Math.PI * u2);
    }
  };
}

/** open_clip-like initialisation: (mean, std) of each tensor by name and shape. */
function initOf(name: string, shape: readonly number[]): { mean: number; std: number } {
  if (/ln_\w+\.weight$|ln_final\.weight$/.test(name)) return { mean: 1, std: 0.1 };
  if (name.endsWith('.bias')) return { mean: 0, std: 0.02 };
  if (name === 'logit_scale') return { mean: Math.log(1 / 0.07), std: 0 };
  if (name.endsWith('conv1.weight')) return { mean: 0, std: 1 / Math.sqrt(shape[1] * shape[2] * shape[3]) };
  if (name === 'token_embedding.weight') return { mean: 0, std: 0.02 };
  if (name === 'positional_embedding' || name === 'visual.positional_embedding') return { mean: 0, std: 0.01 };
  if (name === 'visual.class_embedding') return { mean: 0, std: 1 / Math.sqrt(shape[0]) };
  if (name === 'visual.proj' || name === 'text_projection') return { mean: 0, std: 1 / Math.sqrt(shape[0]) };
  // torch Linear weights [out, in]: fan_in = in
  return { mean: 0, std: 1 / Math.sqrt(shape[shape.length - 1]) };
}

/** Writes the checkpoint to `path` (about 600 MB). */
export async function writeFullSizeCheckpoint(path: string, seed = 1): Promise<void> {
  const tensors = expectedTensors(FULL_SIZE_CONFIG, FULL_SIZE_BANDS);
  tensors.set('logit_scale', []);
  const storages: StorageSpec[] = [{ key: 'temperature', dtype: 'float32', numel: 1, values: Float32Array.of(0.07) }];
  const specs: TensorSpec[] = [{ name: 'temperature', storage: 'temperature', shape: [] }];
  let i = 0;
  for (const [name, shape] of tensors) {
    const key = String(i++);
    const numel = shape.reduce((a, b) => a * b, 1);
    const { mean, std } = initOf(name, shape);
    storages.push({ key, dtype: 'float32', numel, values: std === 0 ? Float32Array.of(mean) : gaussianFill(seed * 1000 + i, std, mean) });
    for (const p of PREFIXES) specs.push({ name: p + name, storage: key, shape });
  }
  await writeTorchCheckpoint(path, storages, specs);
}
