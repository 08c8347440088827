/**
 * What the model sees of a scene: the built-in model's preprocessing output for the scene's
 * first 224×224 tile, and per-band differences of two such inputs — how the scene tests compare
 * every kind of source with the 12-band stack.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultBuiltInModelsDir } from '../../src-main/core/app-paths.ts';
import { openPreprocessor } from '../../src-main/core/models/preprocess.ts';
import { findModel } from '../../src-main/core/models/registry.ts';
import type { BandSource } from '../../src-main/core/scene/types.ts';

export interface ModelInput {
  pixels: Float32Array;
  bands: readonly string[];
  /** Values per band plane. */
  plane: number;
}

const NO_INSTALLED = join(mkdtempSync(join(tmpdir(), 'mslens-no-models-')), 'models');

export async function modelInput(source: BandSource): Promise<ModelInput> {
  const { manifest } = await findModel({ builtIn: defaultBuiltInModelsDir(), installed: NO_INSTALLED }, 'mslens-spectral');
  const pre = await openPreprocessor(manifest, source.info, 224);
  try {
    const strips = await source.readWindow({ x: 0, y: 0, width: 224, height: 224 }, pre.bands);
    const raw = new Float32Array(pre.bands.length * 224 * 224);
    strips.forEach((s, b) => raw.set(s, b * 224 * 224));
    const { pixels, inputSize } = await pre.run(raw, 1);
    return { pixels: pixels.slice(), bands: pre.bands, plane: inputSize * inputSize };
  } finally {
    await pre.close();
  }
}

/** Per band, the largest and the mean absolute difference of two model inputs. */
export function inputDiffs(a: ModelInput, b: ModelInput): Record<string, { max: number; mean: number }> {
  return Object.fromEntries(a.bands.map((band, k) => {
    let max = 0;
    let sum = 0;
    for (let i = k * a.plane; i < (k + 1) * a.plane; i++) {
      const d = Math.abs(a.pixels[i] - b.pixels[i]);
      max = Math.max(max, d);
      sum += d;
    }
    return [band, { max, mean: sum / a.plane }];
  }));
}
