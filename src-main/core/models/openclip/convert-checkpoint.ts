/**
 * Converts an open_clip ViT checkpoint (e.g. Llama3_MS_CLIP_weights.pt) into ONNX image and
 * text encoders, one pair per float precision, plus the facts a model manifest needs. The
 * int8 precision is an image encoder only (dynamic quantisation for CPU); the text encoder
 * runs once per query and stays float.
 *
 * Memory: one encoder graph is built at a time, reading tensors one by one; the builder holds
 * that encoder's weights once (in the target precision) until they are streamed to the
 * `.onnx.data` file, then everything is dropped before the next graph.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MslensError, throwIfAborted } from '../../errors.ts';
import { buildImageEncoder, EMBEDDING_OUTPUT, IMAGE_INPUT, type BuiltGraph } from './build-image-encoder.ts';
import { buildTextEncoder, TEXT_INPUT } from './build-text-encoder.ts';
import { parseOpenClipConfig, type OpenClipConfig } from './openclip-config.ts';
import { expectedTensors, openClipWeights, type OpenClipWeights } from './openclip-weights.ts';
import type { EncoderGraphOptions, Precision } from './transformer-graph.ts';
import type { WeightSource } from './weight-source.ts';
import { writeOnnxModel, type WrittenFile } from './write-onnx.ts';
import { openCheckpointWeightSource } from './checkpoint-weight-source.ts';

export interface ConvertProgress {
  /** The file being produced, e.g. `image-encoder.fp32.onnx`. */
  file: string;
  phase: 'reading' | 'writing';
  /** Tensors read so far, over all files. */
  done: number;
  total: number;
}

export interface ConvertOpenClipOptions {
  /** Weights in memory, or the path of a PyTorch checkpoint (.pt / .bin zip). */
  source: WeightSource | string;
  /** A parsed config, or the raw open_clip JSON (model config or open_clip_config.json). */
  config: OpenClipConfig | Record<string, unknown>;
  /** Folder for the .onnx files (created if missing). */
  outDir: string;
  /**
   * Precisions to write. fp32 and fp16 give an image and a text encoder each; int8 gives
   * `image-encoder.int8.onnx` only (check it against fp32 with `checkImageVariant`).
   * @default ['fp32']
   */
  variants?: readonly Precision[];
  /**
   * Precisions of the text encoder, among `variants` (int8 has none). The importer asks for
   * fp32 only: the app runs the text encoder on CPU in float32.
   * @default every precision in `variants` except int8
   */
  textVariants?: readonly Precision[];
  /**
   * Which precisions use ONNX Runtime's com.microsoft fused operators (Attention,
   * SkipLayerNormalization, BiasGelu). Plain graphs use standard ONNX operators (opset 17),
   * run on every execution provider, and ONNX Runtime's optimiser fuses them itself; on CPU
   * (ORT 1.30) they were as fast as the fused graphs, so plain is the default. int8 always
   * uses com.microsoft DynamicQuantizeMatMul and QAttention; fused int8 (adding
   * SkipLayerNormalization and BiasGelu) was about 15 % slower on CPU.
   * @default { fp32: false, fp16: false, int8: false }
   */
  fused?: Partial<Record<Precision, boolean>>;
  signal?: AbortSignal;
  onProgress?: (p: ConvertProgress) => void;
}

export interface ConvertedEncoder extends WrittenFile {
  input: string;
  output: string;
  precision: Precision;
  fused: boolean;
  dataFile?: WrittenFile;
}

export interface ConvertOpenClipResult {
  imageEncoders: Partial<Record<Precision, ConvertedEncoder>>;
  textEncoders: Partial<Record<Precision, ConvertedEncoder>>;
  embedDim: number;
  /** Input channels of the image encoder (from visual.conv1.weight). */
  bands: number;
  imageSize: number;
  contextLength: number;
  vocabSize: number;
  /** exp(logit_scale) from the checkpoint, or null when it has none. */
  logitScale: number | null;
  /** The key prefix found in the checkpoint ('' for plain open_clip). */
  keyPrefix: string;
}

export const encoderFileName = (kind: 'image' | 'text', precision: Precision): string => `${kind}-encoder.${precision}.onnx`;

function isParsed(c: OpenClipConfig | Record<string, unknown>): c is OpenClipConfig {
  return typeof c === 'object' && c !== null && 'vision' in c && 'text' in c && 'embedDim' in c;
}

export async function convertOpenClipCheckpoint(opts: ConvertOpenClipOptions): Promise<ConvertOpenClipResult> {
  const cfg = isParsed(opts.config) ? opts.config : parseOpenClipConfig(opts.config);
  const variants = [...new Set<Precision>(opts.variants ?? ['fp32'])];
  if (variants.length === 0 || variants.some((v) => v !== 'fp32' && v !== 'fp16' && v !== 'int8')) {
    throw new MslensError('BAD_ARGUMENT', `Precisions must be fp32 and/or fp16 (and int8 for the image encoder), not ${JSON.stringify(opts.variants)}.`);
  }
  const hasText = (p: Precision) => p !== 'int8' && (opts.textVariants ?? variants).includes(p);
  const fusedFor = (p: Precision) => opts.fused?.[p] ?? false;
  const { signal } = opts;
  throwIfAborted(signal);

  const opened = typeof opts.source === 'string' ? await openCheckpointWeightSource(opts.source, signal) : null;
  try {
    const source = opened ? opened.source : (opts.source as WeightSource);
    const weights = openClipWeights(source, cfg);
    await mkdir(opts.outDir, { recursive: true });

    const expected = [...expectedTensors(cfg, weights.bands).keys()];
    const imageTensors = expected.filter((k) => k.startsWith('visual.')).length;
    const textTensors = expected.length - imageTensors;
    const total = variants.reduce((n, p) => n + imageTensors + (hasText(p) ? textTensors : 0), 0);
    let done = 0;

    const convertOne = async (kind: 'image' | 'text', precision: Precision): Promise<ConvertedEncoder> => {
      const file = encoderFileName(kind, precision);
      const fused = fusedFor(precision);
      const report = (phase: ConvertProgress['phase']) => opts.onProgress?.({ file, phase, done, total });
      report('reading');
      const graphOpts: EncoderGraphOptions = {
        precision, fused, signal,
        onTensor: () => { done++; report('reading'); },
      };
      let built: BuiltGraph | null = kind === 'image'
        ? await buildImageEncoder(weights, cfg, graphOpts)
        : await buildTextEncoder(weights, cfg, graphOpts);
      throwIfAborted(signal);
      report('writing');
      const written = writeOnnxModel(built, join(opts.outDir, file));
      built = null; // let the weights go before the next graph
      return { ...written, input: kind === 'image' ? IMAGE_INPUT : TEXT_INPUT, output: EMBEDDING_OUTPUT, precision, fused };
    };

    const imageEncoders: ConvertOpenClipResult['imageEncoders'] = {};
    const textEncoders: ConvertOpenClipResult['textEncoders'] = {};
    for (const p of variants) {
      imageEncoders[p] = await convertOne('image', p);
      if (hasText(p)) textEncoders[p] = await convertOne('text', p);
    }

    return {
      imageEncoders,
      textEncoders,
      embedDim: cfg.embedDim,
      bands: weights.bands,
      imageSize: cfg.vision.imageSize,
      contextLength: cfg.text.contextLength,
      vocabSize: cfg.text.vocabSize,
      logitScale: await readLogitScale(weights),
      keyPrefix: weights.prefix,
    };
  } finally {
    await opened?.close();
  }
}

async function readLogitScale(w: OpenClipWeights): Promise<number | null> {
  if (!w.has('logit_scale')) return null;
  const shape = w.shape('logit_scale');
  if (shape.reduce((a, b) => a * b, 1) !== 1) return null;
  const [v] = await w.read('logit_scale', shape);
  return Math.exp(v);
}
