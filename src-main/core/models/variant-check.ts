/**
 * The install-time check of a model's int8 image encoder: run it and the float32 one on the
 * tiles of the demo scene (generated here, so it needs no data), compare embeddings and
 * zero-shot top-1 labels over land-cover classes, and record the result in the manifest. The
 * app prefers int8 on CPU only when it passed (see imageEncoderFor).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classVectors } from '../analysis/zero-shot.ts';
import { writeDemoScene } from '../scene/demo/demo-scene.ts';
import { openScene } from '../scene/open-scene.ts';
import { makeTileGrid } from '../tiles/tile-grid.ts';
import type { InstalledModel, OnnxFileRef } from './manifest.ts';
import { checkImageVariant, type ImageVariantCheck } from './openclip/check-variant.ts';
import { copyTile, openPreprocessor } from './preprocess.ts';
import { openTextEncoder } from './text-encoder.ts';

/** Classes the check compares top-1 labels over. */
export const CHECK_CLASSES = ['water', 'forest', 'cropland', 'built-up area', 'bare soil', 'snow', 'cloud'];

/** Preprocessed tiles of the demo scene for a model: [n, bands, inputSize, inputSize]. */
async function demoPixels(model: InstalledModel, signal?: AbortSignal): Promise<{ pixels: Float32Array; n: number; size: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'mslens-check-'));
  try {
    const { scenePath } = await writeDemoScene({ outDir: dir, size: 2240, signal });
    const source = await openScene(scenePath, signal);
    try {
      const grid = makeTileGrid(source.info, { size: model.manifest.inputSize ?? 224 });
      const pre = await openPreprocessor(model.manifest, source.info, grid.size);
      const nb = pre.bands.length;
      const per = nb * grid.size * grid.size;
      const raw = new Float32Array(grid.count * per);
      const width = grid.cols * grid.size;
      for (let r = 0; r < grid.rows; r++) {
        const strip = await source.readWindow({ x: 0, y: r * grid.size, width, height: grid.size }, pre.bands, signal);
        for (let c = 0; c < grid.cols; c++) copyTile(strip, width, c * grid.size, grid.size, raw, (r * grid.cols + c) * per);
      }
      const { pixels, inputSize } = await pre.run(raw, grid.count);
      await pre.close();
      return { pixels: pixels.slice(), n: grid.count, size: inputSize };
    } finally {
      await source.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function checkInt8Variant(model: InstalledModel, int8: OnnxFileRef, signal?: AbortSignal): Promise<ImageVariantCheck> {
  const { manifest } = model;
  const text = await openTextEncoder(model);
  let vectors: Float32Array;
  try {
    vectors = await classVectors(text, CHECK_CLASSES, manifest.promptTemplates, manifest.embeddingDim);
  } finally {
    await text.close();
  }
  const { pixels, n, size } = await demoPixels(model, signal);
  return checkImageVariant({
    referencePath: join(model.dir, manifest.imageEncoder.file),
    variantPath: join(model.dir, int8.file),
    pixels, n, size, bands: manifest.bands.length,
    classVectors: vectors, classes: CHECK_CLASSES.length,
    input: manifest.imageEncoder.input, output: manifest.imageEncoder.output, signal,
  });
}
