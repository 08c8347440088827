/**
 * The install-time check of a model's int8 image encoder: run it and the float32 one on two
 * sources of tiles, the demo scene (generated here) and five real Sentinel-2 L2A chips shipped
 * with the app (models/check-chips, see its README), compare embeddings and zero-shot top-1
 * labels over land-cover classes, and record the result per source in the manifest. The app
 * prefers int8 on CPU only when both sources passed (see imageEncoderFor).
 *
 * Memory is bounded: tiles are produced a few at a time (the demo scene is read row by row,
 * again for the second model), one session is open at a time, and only the embeddings are
 * kept. Progress counts tiles embedded by both models.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromFile } from 'geotiff';
import { classVectors } from '../analysis/zero-shot.ts';
import { defaultBuiltInModelsDir } from '../app-paths.ts';
import { MslensError, throwIfAborted } from '../errors.ts';
import { writeDemoScene } from '../scene/demo/demo-scene.ts';
import { openScene } from '../scene/open-scene.ts';
import type { BandName } from '../scene/types.ts';
import { makeTileGrid } from '../tiles/tile-grid.ts';
import type { InstalledModel, Int8Check, OnnxFileRef } from './manifest.ts';
import { compareImageEmbeddings, embedTiles, type TileStream } from './openclip/check-variant.ts';
import { copyTile, openPreprocessor } from './preprocess.ts';
import { openTextEncoder } from './text-encoder.ts';

/** Classes the check compares top-1 labels over. */
export const CHECK_CLASSES = ['water', 'forest', 'cropland', 'built-up area', 'bare soil', 'snow', 'cloud'];

/** Folder of the real chips, inside the built-in models folder. */
export const CHECK_CHIPS_FOLDER = 'check-chips';
/** The chips' 12 L2A bands, in file order (no band names are stored in them). */
const CHIP_BANDS: readonly BandName[] = ['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B11', 'B12'];
const CHIP_FILES = ['282D_485L_3_3.tif', '38D_378R_2_3.tif', '433D_629L_3_1.tif', '609U_541L_3_0.tif', '637U_59R_1_3.tif'];
/** Tiles embedded per run: small, since embeddings do not depend on it. */
const BATCH = 4;

export interface CheckInt8Options {
  signal?: AbortSignal;
  /** Tiles embedded so far by both models, over all of them. */
  onProgress?: (done: number, total: number, message: string) => void;
  /** Where the real chips are. @default <built-in models>/check-chips */
  chipsDir?: string;
  /** Demo scene edge in pixels (10 × 10 tiles of 224 by default). @default 2240 */
  demoSize?: number;
}

/** The demo scene's tiles, streamed a grid row at a time through the app's preprocessing. */
async function demoStream(model: InstalledModel, scenePath: string): Promise<TileStream & { close(): Promise<void> }> {
  const size = model.manifest.inputSize ?? 224;
  const source = await openScene(scenePath);
  const grid = makeTileGrid(source.info, { size });
  const pre = await openPreprocessor(model.manifest, source.info, grid.size);
  const nb = pre.bands.length;
  const per = nb * grid.size * grid.size;
  const width = grid.cols * grid.size;
  return {
    n: grid.count, size: pre.inputSize, bands: nb,
    async *batches(batchSize, signal) {
      const raw = new Float32Array(batchSize * per);
      let fill = 0;
      for (let r = 0; r < grid.rows; r++) {
        throwIfAborted(signal);
        const strip = await source.readWindow({ x: 0, y: r * grid.size, width, height: grid.size }, pre.bands, signal);
        for (let c = 0; c < grid.cols; c++) {
          copyTile(strip, width, c * grid.size, grid.size, raw, fill * per);
          if (++fill === batchSize || (r === grid.rows - 1 && c === grid.cols - 1)) {
            const { pixels } = await pre.run(raw, fill);
            yield { pixels, count: fill };
            fill = 0;
          }
        }
      }
    },
    async close() {
      await pre.close();
      await source.close();
    },
  };
}

/** The five real chips (224 × 224, 12 bands, digital numbers without offset). */
async function chipStream(model: InstalledModel, dir: string): Promise<TileStream & { close(): Promise<void> }> {
  const size = 224;
  const pre = await openPreprocessor(model.manifest, { bands: [...CHIP_BANDS], nodata: 0, radiometricOffset: 0 }, size);
  const nb = pre.bands.length;
  const pick = pre.bands.map((b) => CHIP_BANDS.indexOf(b));
  const readChip = async (file: string, raw: Float32Array, at: number) => {
    const path = join(dir, file);
    let tiff: Awaited<ReturnType<typeof fromFile>>;
    try {
      tiff = await fromFile(path);
    } catch (err) {
      throw new MslensError('MODEL_LOAD_FAILED', `The real Sentinel-2 chip ${path} that the int8 check needs could not be read (${(err as Error).message}). Reinstall mslens.`, { path }, { cause: err });
    }
    try {
      const image = await tiff.getImage();
      if (image.getWidth() !== size || image.getHeight() !== size || image.getSamplesPerPixel() !== CHIP_BANDS.length) {
        throw new MslensError('MODEL_LOAD_FAILED', `The check chip ${path} is not a ${size} × ${size} chip of ${CHIP_BANDS.length} bands. Reinstall mslens.`, { path });
      }
      const bands = (await image.readRasters({ samples: pick, interleave: false })) as unknown as ArrayLike<number>[];
      bands.forEach((b, i) => raw.set(b, (at * nb + i) * size * size));
    } finally {
      await tiff.close?.();
    }
  };
  return {
    n: CHIP_FILES.length, size: pre.inputSize, bands: nb,
    async *batches(batchSize, signal) {
      const raw = new Float32Array(batchSize * nb * size * size);
      for (let i = 0; i < CHIP_FILES.length; i += batchSize) {
        throwIfAborted(signal);
        const count = Math.min(batchSize, CHIP_FILES.length - i);
        for (let k = 0; k < count; k++) await readChip(CHIP_FILES[i + k], raw, k);
        yield { pixels: (await pre.run(raw, count)).pixels, count };
      }
    },
    close: () => pre.close(),
  };
}

/**
 * Checks `int8` against the model's float32 image encoder on the real chips and the demo
 * scene; `passed` only when both sources pass.
 */
export async function checkInt8Variant(model: InstalledModel, int8: OnnxFileRef, opts: CheckInt8Options = {}): Promise<Int8Check> {
  const { manifest } = model;
  const { signal, onProgress } = opts;
  throwIfAborted(signal);
  const text = await openTextEncoder(model);
  let vectors: Float32Array;
  try {
    vectors = await classVectors(text, CHECK_CLASSES, manifest.promptTemplates, manifest.embeddingDim);
  } finally {
    await text.close();
  }
  const dir = await mkdtemp(join(tmpdir(), 'mslens-check-'));
  const streams: (TileStream & { close(): Promise<void> })[] = [];
  try {
    const { scenePath } = await writeDemoScene({ outDir: dir, size: opts.demoSize ?? 2240, signal });
    const chips = await chipStream(model, opts.chipsDir ?? join(defaultBuiltInModelsDir(), CHECK_CHIPS_FOLDER));
    streams.push(chips);
    const demo = await demoStream(model, scenePath);
    streams.push(demo);
    const total = 2 * (chips.n + demo.n);
    let done = 0;
    const run = async (file: string, which: string, tiles: TileStream, label: string) => {
      const before = done;
      const e = await embedTiles(join(model.dir, file), tiles, which, {
        input: manifest.imageEncoder.input, output: manifest.imageEncoder.output, batchSize: BATCH, signal,
        onTiles: (k) => { done = before + k; onProgress?.(done, total, `Checking the int8 encoder against float32 (${label})`); },
      });
      return e;
    };
    onProgress?.(0, total, 'Checking the int8 encoder against float32');
    const result = (tiles: TileStream, label: string) => (async () => {
      const ref = await run(manifest.imageEncoder.file, 'float32 reference', tiles, `${label}, float32`);
      const variant = await run(int8.file, 'int8', tiles, `${label}, int8`);
      return compareImageEmbeddings(ref, variant, vectors, CHECK_CLASSES.length).check;
    })();
    const realChips = await result(chips, 'real chips');
    const demoScene = await result(demo, 'demo scene');
    return {
      top1Agreement: Math.min(realChips.top1Agreement, demoScene.top1Agreement),
      minCosine: Math.min(realChips.minCosine, demoScene.minCosine),
      tiles: realChips.tiles + demoScene.tiles,
      passed: realChips.passed && demoScene.passed,
      sources: { realChips, demoScene },
    };
  } finally {
    for (const s of streams) await s.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}
