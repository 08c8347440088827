/**
 * The agreement check for a lower-precision image encoder (the int8 CPU variant): run it and
 * the float32 reference on the same tiles, on CPU, and compare the unit embeddings (cosine)
 * and the zero-shot top-1 class (logits = 100 · cosine with the class vectors). The result is
 * stored in the manifest as `imageEncoder.variants.int8.check`; the app only prefers the
 * variant on CPU when `passed` is true (see `imageEncoderFor` in manifest.ts).
 *
 * Run it on the machine that will use the variant (the installer does): ONNX Runtime picks
 * its int8 kernels by CPU (AVX-512 VNNI, AVX2, NEON). On x86 without VNNI (VPMADDUBSW) a pair
 * of u8×s8 products saturates int16 unless one side has 7 bits, which is why the per-token
 * scheme keeps weights in −63…63; the check is what shows a file agrees on this CPU.
 */
import ort from '../onnx/runtime.ts';
import { MslensError, throwIfAborted } from '../../errors.ts';
import { EMBEDDING_OUTPUT, IMAGE_INPUT } from './build-image-encoder.ts';

/** What a variant must reach against float32 to be used. */
export const IMAGE_VARIANT_THRESHOLDS = { top1Agreement: 0.99, minCosine: 0.99 } as const;

/** Tiles to embed, produced a few at a time so a check never holds them all. */
export interface TileStream {
  /** How many tiles the stream yields in all. */
  readonly n: number;
  readonly size: number;
  readonly bands: number;
  /** Yields preprocessed tiles, float32 [count, bands, size, size], `count` ≤ `batchSize`. May be read more than once. */
  batches(batchSize: number, signal?: AbortSignal): AsyncIterable<{ pixels: Float32Array; count: number }>;
}

/** A stream over tiles already in memory ([n, bands, size, size]). */
export function tilesInMemory(pixels: Float32Array, n: number, size: number, bands: number): TileStream {
  const tile = bands * size * size;
  return {
    n, size, bands,
    async *batches(batchSize) {
      for (let i = 0; i < n; i += batchSize) {
        const count = Math.min(batchSize, n - i);
        yield { pixels: pixels.subarray(i * tile, (i + count) * tile), count };
      }
    },
  };
}

export interface EmbedTilesOptions {
  /** Input and output names of the encoder. @default 'pixels', 'embedding' */
  input?: string;
  output?: string;
  /** Tiles per run. Embeddings do not depend on it (per-token int8); it only bounds memory. @default 4 */
  batchSize?: number;
  /** ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose. @default 0 */
  threads?: number;
  signal?: AbortSignal;
  /** Called after each batch with the tiles embedded so far. */
  onTiles?: (done: number) => void;
}

export interface CheckImageVariantOptions extends EmbedTilesOptions {
  /** The float32 image encoder (.onnx). */
  referencePath: string;
  /** The variant to check, e.g. image-encoder.int8.onnx. */
  variantPath: string;
  /** Preprocessed tiles, float32 [n, bands, size, size], normalised as the manifest says. */
  pixels: Float32Array;
  n: number;
  size: number;
  bands: number;
  /** Unit-norm class vectors (text embeddings), row-major [classes, embeddingDim]. */
  classVectors: Float32Array;
  classes: number;
}

/** The shape of the manifest's `imageEncoder.variants.int8.check` (and of each of its sources). */
export interface ImageVariantCheck {
  /** Fraction of tiles whose zero-shot top-1 class is the same as with float32. */
  top1Agreement: number;
  /** Smallest cosine between a tile's variant and float32 embeddings. */
  minCosine: number;
  tiles: number;
  passed: boolean;
}

function badArgument(message: string, detail: Record<string, string | number> = {}): MslensError {
  return new MslensError('BAD_ARGUMENT', message, detail);
}

/**
 * Unit embeddings [n, dim] of every tile of `tiles` by the encoder at `path`, on CPU, one
 * session, `batchSize` tiles at a time: only one batch of inputs is held, plus the embeddings.
 */
export async function embedTiles(path: string, tiles: TileStream, which: string, opts: EmbedTilesOptions = {}): Promise<Float32Array> {
  const { n, size, bands } = tiles;
  const input = opts.input ?? IMAGE_INPUT;
  const output = opts.output ?? EMBEDDING_OUTPUT;
  const batch = Math.max(1, Math.floor(opts.batchSize ?? 4));
  throwIfAborted(opts.signal);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: opts.threads ?? 0,
      enableCpuMemArena: false,
      logSeverityLevel: 3,
    });
  } catch (err) {
    throw new MslensError('MODEL_LOAD_FAILED', `The ${which} image encoder ${path} could not be loaded by ONNX Runtime (${(err as Error).message.split('\n')[0]}). Convert the model again.`, { path }, { cause: err });
  }
  try {
    let out: Float32Array | null = null;
    let dim = 0;
    let done = 0;
    for await (const { pixels, count } of tiles.batches(batch, opts.signal)) {
      throwIfAborted(opts.signal);
      const feeds = { [input]: new ort.Tensor('float32', pixels, [count, bands, size, size]) };
      const result = await session.run(feeds, [output]);
      const emb = result[output];
      if (!emb || emb.type !== 'float32' || emb.dims.length !== 2 || emb.dims[0] !== count) {
        throw new MslensError('MODEL_LOAD_FAILED', `The ${which} image encoder ${path} has no float32 [batch, dim] output '${output}'. Convert the model again.`, { path, output });
      }
      if (!out) {
        dim = emb.dims[1];
        out = new Float32Array(n * dim);
      }
      out.set(emb.data as Float32Array, done * dim);
      done += count;
      opts.onTiles?.(done);
    }
    if (done !== n) throw new Error(`embedTiles: the stream gave ${done} tiles, not ${n}`);
    return out ?? new Float32Array(0);
  } finally {
    await session.release();
  }
}

const argmax = (v: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
};

/** cos(a, b), in float64. */
function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/** Zero-shot logits 100 · (e / ‖e‖) · c for every class vector c. */
function logits(e: Float32Array, classVectors: Float32Array, classes: number): Float64Array {
  const d = e.length;
  let nn = 0;
  for (let k = 0; k < d; k++) nn += e[k] * e[k];
  const inv = 100 / Math.sqrt(nn);
  const out = new Float64Array(classes);
  for (let c = 0; c < classes; c++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += e[k] * classVectors[c * d + k];
    out[c] = s * inv;
  }
  return out;
}

/** How one tile fared: cosine between the two embeddings, and each one's zero-shot top-1. */
export interface TileAgreement {
  cosine: number;
  referenceTop1: number;
  variantTop1: number;
  /** Reference logit of its top-1 class minus the runner-up's (100 · cosine units). */
  referenceMargin: number;
  /** Largest change of any class logit between reference and variant. */
  maxLogitShift: number;
}

/**
 * Compares two sets of image embeddings ([n, dim] each, same tiles in the same order) the way
 * `checkImageVariant` does, tile by tile.
 */
export function compareImageEmbeddings(reference: Float32Array, variant: Float32Array, classVectors: Float32Array, classes: number): { check: ImageVariantCheck; tiles: TileAgreement[] } {
  if (!Number.isInteger(classes) || classes < 1 || classVectors.length % classes !== 0) {
    throw badArgument(`${classVectors.length} class-vector values do not split into ${classes} classes.`, { values: classVectors.length, classes });
  }
  const dim = classVectors.length / classes;
  if (reference.length !== variant.length) {
    throw badArgument(`The variant gave ${variant.length} embedding values, the reference ${reference.length}: they are not the same model.`);
  }
  if (reference.length === 0 || reference.length % dim !== 0) {
    throw badArgument(`The class vectors have ${dim} dimensions, which do not fit ${reference.length} embedding values. Use the text encoder of the same model.`, { classDim: dim, values: reference.length });
  }
  const n = reference.length / dim;
  const tiles: TileAgreement[] = [];
  let minCosine = Infinity;
  let agree = 0;
  for (let i = 0; i < n; i++) {
    const a = reference.subarray(i * dim, (i + 1) * dim);
    const b = variant.subarray(i * dim, (i + 1) * dim);
    const c = cosine(a, b);
    minCosine = Math.min(minCosine, Number.isFinite(c) ? c : -1); // NaN (a broken output) counts as the worst
    const la = logits(a, classVectors, classes);
    const lb = logits(b, classVectors, classes);
    const referenceTop1 = argmax(la);
    const variantTop1 = argmax(lb);
    let runnerUp = -Infinity;
    let maxLogitShift = 0;
    for (let k = 0; k < classes; k++) {
      if (k !== referenceTop1) runnerUp = Math.max(runnerUp, la[k]);
      maxLogitShift = Math.max(maxLogitShift, Math.abs(la[k] - lb[k]));
    }
    if (referenceTop1 === variantTop1) agree++;
    tiles.push({ cosine: c, referenceTop1, variantTop1, referenceMargin: classes > 1 ? la[referenceTop1] - runnerUp : Infinity, maxLogitShift });
  }
  const top1Agreement = agree / n;
  const passed = top1Agreement >= IMAGE_VARIANT_THRESHOLDS.top1Agreement && minCosine >= IMAGE_VARIANT_THRESHOLDS.minCosine;
  return { check: { top1Agreement, minCosine, tiles: n, passed }, tiles };
}

/**
 * Compares `variantPath` with the float32 `referencePath` on the given tiles. The two
 * sessions run one after the other, so only one model is in memory at a time. With few
 * tiles one near-tie decides `top1Agreement` (0.99 allows one flip per 100 tiles), so check
 * on a hundred tiles or more.
 */
export async function checkImageVariant(opts: CheckImageVariantOptions): Promise<ImageVariantCheck> {
  const { n, size, bands, classes, classVectors } = opts;
  for (const [k, v] of [['n', n], ['size', size], ['bands', bands], ['classes', classes]] as const) {
    if (!Number.isInteger(v) || v < 1) throw badArgument(`checkImageVariant needs a positive whole ${k}, not ${v}.`, { [k]: v });
  }
  if (opts.pixels.length !== n * bands * size * size) {
    throw badArgument(`The tiles hold ${opts.pixels.length} values, but ${n} tiles of ${bands}×${size}×${size} need ${n * bands * size * size}.`, { values: opts.pixels.length });
  }
  if (classVectors.length % classes !== 0) {
    throw badArgument(`${classVectors.length} class-vector values do not split into ${classes} classes.`, { values: classVectors.length, classes });
  }
  throwIfAborted(opts.signal);
  const tiles = tilesInMemory(opts.pixels, n, size, bands);
  const ref = await embedTiles(opts.referencePath, tiles, 'float32 reference', opts);
  const dim = ref.length / n;
  if (classVectors.length !== classes * dim) {
    throw badArgument(`The class vectors have ${classVectors.length / classes} dimensions, the image embeddings ${dim}. Use the text encoder of the same model.`, { classDim: classVectors.length / classes, embeddingDim: dim });
  }
  const variant = await embedTiles(opts.variantPath, tiles, 'variant', opts);
  return compareImageEmbeddings(ref, variant, classVectors, classes).check;
}
