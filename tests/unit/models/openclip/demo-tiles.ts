/**
 * Test input from the synthetic demo scene: 224 × 224 tiles of a `writeDemoScene` file, read
 * with geotiff.js and normalised the MS-CLIP way, independently of the app's preprocessing.
 */
import { fromFile } from 'geotiff';
import { writeDemoScene } from '../../../../src-main/core/scene/demo/demo-scene.ts';
import { MSCLIP_MEAN, MSCLIP_STD } from './reference-fixtures.ts';

/** B02 B03 B04 B05 B06 B07 B08 B8A B11 B12 among the demo file's 12 L2A samples (no B01, B09). */
const MODEL_SAMPLES = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11];
const TILE = 224;

/**
 * Reads every whole 224 × 224 tile of a 12-band demo scene (row by row) as float32
 * [n, 10, 224, 224], (DN − mean) / std. The demo scene declares BOA_ADD_OFFSET 0.
 */
export async function readDemoTiles(scenePath: string, maxTiles = Infinity): Promise<{ pixels: Float32Array; n: number }> {
  const tiff = await fromFile(scenePath);
  try {
    const image = await tiff.getImage();
    const width = image.getWidth();
    const across = Math.floor(width / TILE);
    const down = Math.floor(image.getHeight() / TILE);
    const n = Math.min(maxTiles, across * down);
    const rows = Math.ceil(n / across);
    const rasters = (await image.readRasters({ samples: MODEL_SAMPLES, window: [0, 0, across * TILE, rows * TILE], interleave: false })) as unknown as ArrayLike<number>[];
    const w = across * TILE;
    const pixels = new Float32Array(n * MODEL_SAMPLES.length * TILE * TILE);
    for (let t = 0; t < n; t++) {
      const x0 = (t % across) * TILE;
      const y0 = Math.floor(t / across) * TILE;
      MODEL_SAMPLES.forEach((_, c) => {
        const src = rasters[c];
        const m = Math.fround(MSCLIP_MEAN[c]);
        const s = Math.fround(MSCLIP_STD[c]);
        const base = (t * MODEL_SAMPLES.length + c) * TILE * TILE;
        for (let y = 0; y < TILE; y++) {
          for (let x = 0; x < TILE; x++) pixels[base + y * TILE + x] = Math.fround(Math.fround(src[(y0 + y) * w + x0 + x] - m) / s);
        }
      });
    }
    return { pixels, n };
  } finally {
    await tiff.close?.();
  }
}

/** Writes a demo scene of `size` pixels into `dir` and returns its tiles. */
export async function demoTiles(dir: string, size = 672): Promise<{ pixels: Float32Array; n: number }> {
  const { scenePath } = await writeDemoScene({ outDir: dir, size });
  return readDemoTiles(scenePath);
}
