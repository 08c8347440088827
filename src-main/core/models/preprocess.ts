/**
 * Preprocessing from the model manifest, run by ONNX Runtime rather than JavaScript loops:
 * pick the model's bands from whatever the scene has, remove the L2A +1000 offset where the
 * scene declares one, normalise, give nodata pixels the value of zero reflectance, and measure
 * each tile's valid fraction, and resize to the model's input size (see resize-weights.ts).
 * JavaScript only copies rows of a strip into the batch.
 */
import ort from './onnx/runtime.ts';
import { MslensError } from '../errors.ts';
import type { BandName, RasterInfo } from '../scene/types.ts';
import type { ModelManifest } from './manifest.ts';
import { GraphBuilder, int } from './onnx/graph-builder.ts';
import { planResize, resizeWeights } from './resize-weights.ts';

export interface PreprocessedBatch {
  /** n × bands × inputSize × inputSize, ready for the image encoder. */
  pixels: Float32Array;
  /** Valid-pixel fraction per tile. */
  valid: Float32Array;
  inputSize: number;
}

export interface Preprocessor {
  /** Scene bands to read, in model order. */
  readonly bands: readonly BandName[];
  readonly inputSize: number;
  run(raw: Float32Array, n: number): Promise<PreprocessedBatch>;
  close(): Promise<void>;
}

/** Copies one size × size tile out of per-band strips into a batch buffer (bands × size × size). */
export function copyTile(strip: readonly Float32Array[], stripWidth: number, x0: number, size: number, out: Float32Array, offset: number): void {
  const plane = size * size;
  strip.forEach((src, b) => {
    for (let y = 0; y < size; y++) {
      const from = y * stripWidth + x0;
      out.set(src.subarray(from, from + size), offset + b * plane + y * size);
    }
  });
}

export function buildPreprocessGraph(opts: { mean: readonly number[]; std: readonly number[]; offset: number; nodata: number; height: number; width: number; inputSize: number }): Uint8Array {
  const nb = opts.mean.length;
  const { height, width, inputSize } = opts;
  const g = new GraphBuilder('mslens-preprocess');
  const raw = g.input('raw', 'float32', ['n', nb, height, width]);
  const nodata = g.f32([opts.nodata], []);
  const edge = (i: number): string => g.op('Equal', [g.op('Gather', [raw, g.i64([i], [])], { axis: int(1) }), nodata]);
  const invalid = g.op('And', [edge(0), edge(nb - 1)]); // [n,s,s]
  const valid = g.op('Unsqueeze', [g.op('Not', [invalid]), g.i64([1])]); // [n,1,s,s]
  const scale = opts.std.map((s) => 1 / s);
  const shift = opts.mean.map((m, i) => -(m + opts.offset) * scale[i]);
  const fill = opts.mean.map((m, i) => -m * scale[i]);
  const norm = g.op('Add', [g.op('Mul', [raw, g.f32(scale, [1, nb, 1, 1])]), g.f32(shift, [1, nb, 1, 1])]);
  let pixels = g.op('Where', [valid, norm, g.f32(fill, [1, nb, 1, 1])]);
  if (height !== inputSize || width !== inputSize) {
    // Resize + centre crop as two matrix products: x · Wwᵀ, then Wh · (…).
    const plan = planResize(height, width, inputSize);
    const wh = resizeWeights(height, plan.resized[0], plan.crop[0], inputSize);
    const ww = resizeWeights(width, plan.resized[1], plan.crop[1], inputSize);
    const wwT = new Float32Array(width * inputSize);
    for (let o = 0; o < inputSize; o++) for (let j = 0; j < width; j++) wwT[j * inputSize + o] = ww[o * width + j];
    const across = g.op('MatMul', [pixels, g.f32(wwT, [width, inputSize], 'resize_w')]);
    pixels = g.op('MatMul', [g.f32(wh, [inputSize, height], 'resize_h'), across]);
  }
  g.alias(pixels, 'pixels');
  const frac = g.op('ReduceMean', [g.op('Cast', [valid], { to: int(1) }), g.i64([1, 2, 3])], { keepdims: int(0) });
  g.alias(frac, 'valid');
  g.output('pixels', 'float32', ['n', nb, inputSize, inputSize]);
  g.output('valid', 'float32', ['n']);
  return g.toBytes({ opset: 18 });
}

export async function openPreprocessor(
  manifest: ModelManifest,
  scene: Pick<RasterInfo, 'bands' | 'nodata' | 'radiometricOffset'>,
  height: number,
  width = height,
): Promise<Preprocessor> {
  const missing = manifest.bands.filter((b) => !scene.bands.includes(b));
  if (missing.length) {
    throw new MslensError('BANDS_MISSING', `The scene has no ${missing.join(', ')}, which ${manifest.name} needs (${manifest.bands.join(' ')}). Open a product with all of these bands.`, { missing: missing.join(',') });
  }
  if (manifest.inputSize === null && height !== width) throw new Error('size-agnostic models take square tiles');
  const inputSize = manifest.inputSize ?? height;
  const bytes = buildPreprocessGraph({
    mean: manifest.normalization.mean, std: manifest.normalization.std,
    offset: scene.radiometricOffset, nodata: scene.nodata ?? 0, height, width, inputSize,
  });
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', enableCpuMemArena: false });
  const nb = manifest.bands.length;
  return {
    bands: manifest.bands,
    inputSize,
    async run(raw, n) {
      const input = new ort.Tensor('float32', raw.subarray(0, n * nb * height * width), [n, nb, height, width]);
      const out = await session.run({ raw: input });
      return { pixels: out.pixels.data as Float32Array, valid: out.valid.data as Float32Array, inputSize };
    },
    close: () => session.release(),
  };
}
