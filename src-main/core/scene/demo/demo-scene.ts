/**
 * Writes the synthetic Sentinel-2 L2A demo scene and its ground-truth raster.
 *
 * The scene is generated block by block (one 256-pixel GeoTIFF tile at a time) and streamed
 * to disk, so memory stays small at any size up to a full 10980 × 10980 tile. Every value is
 * a pure function of (pixel, size, seed): the same seed and size give byte-identical files.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MslensError, throwIfAborted } from '../../errors.ts';
import { createGeoTiffWriter, type GeoTiffWriter } from '../geotiff-writer.ts';
import type { BandName, GeoTransform } from '../types.ts';
import { createDemoLayout } from './demo-layout.ts';
import { demoSclCode } from './demo-scl.ts';
import { GroundSample } from './ground-sample.ts';
import { DEMO_BANDS, DEMO_CLASSES, DEMO_SPECTRA, MATERIAL, type DemoMaterialId } from './demo-spectra.ts';
import { fbm, hash2, PixelRng } from './noise.ts';

export { DEMO_BANDS, DEMO_CLASSES, DEMO_SPECTRA } from './demo-spectra.ts';
export { DEMO_SCL } from './demo-scl.ts';

/** The bands of the demo stack: the 12 L2A bands, then the scene classification layer. */
export const DEMO_STACK_BANDS: readonly BandName[] = [...DEMO_BANDS, 'SCL'];

export interface DemoSceneOptions {
  /** Folder for the two files; created if missing. */
  outDir: string;
  /** Width and height in 10 m pixels, 64 to 10980. @default 2240 */
  size?: number;
  /** Seed of all noise; the landscape plan stays the same. @default 1 */
  seed?: number;
  /** Checked between blocks; aborting removes the partial files. */
  signal?: AbortSignal;
  /** Called after each block with the blocks done and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface DemoSceneResult {
  /** int16 L2A scene, `demo-s2l2a-<size>.tif`: the 12 bands and the SCL (DEMO_STACK_BANDS). */
  scenePath: string;
  /** uint8 ground truth on the same grid, `demo-s2l2a-<size>-truth.tif`. */
  truthPath: string;
  legend: { code: number; name: string }[];
}

/** Fixed facts of the demo scene: a 10 m UTM 33N grid at a real Sentinel-2 tile origin. */
export const DEMO_SCENE = {
  epsg: 32633,
  originX: 399960,
  originY: 5400000,
  pixelSize: 10,
  acquisitionDate: '2024-06-12',
  /** The MGRS tile whose grid the demo sits on (its origin is T33UUP's). */
  mgrsTile: '33UUP',
  blockSize: 256,
  maxSize: 10980,
  minSize: 64,
} as const;

/** Relative amplitude of the fixed-scale brightness texture (fBm) per material. */
const TEXTURE: Partial<Record<DemoMaterialId, number>> = {
  'water-clear': 0.03,
  'water-turbid': 0.04,
  'snow-fresh': 0.03,
  'snow-old': 0.05,
};
/** Relative per-pixel brightness jitter (crowns, roofs, clods) per material. */
const JITTER: Partial<Record<DemoMaterialId, number>> = {
  'water-clear': 0.01,
  'water-turbid': 0.015,
  'forest-conifer': 0.06,
  'forest-broadleaf': 0.05,
  'builtup-asphalt': 0.05,
  'builtup-concrete': 0.1,
  'builtup-tile-roof': 0.1,
  'snow-fresh': 0.01,
  'snow-old': 0.02,
};
const BANDS = DEMO_BANDS.length;
/** Samples per pixel in the stack: the spectral bands, then the SCL. */
const SAMPLES = DEMO_STACK_BANDS.length;

export async function writeDemoScene(opts: DemoSceneOptions): Promise<DemoSceneResult> {
  const size = opts.size ?? 2240;
  const seed = opts.seed ?? 1;
  const { signal, onProgress } = opts;
  if (!Number.isInteger(size) || size < DEMO_SCENE.minSize || size > DEMO_SCENE.maxSize) {
    throw new MslensError(
      'BAD_ARGUMENT',
      `A demo scene of ${size} pixels cannot be made; choose a whole number from ${DEMO_SCENE.minSize} to ${DEMO_SCENE.maxSize}.`,
      { size },
    );
  }
  if (!Number.isInteger(seed)) {
    throw new MslensError('BAD_ARGUMENT', `The demo seed must be a whole number, not ${seed}.`, { seed });
  }
  throwIfAborted(signal);
  try {
    mkdirSync(opts.outDir, { recursive: true });
  } catch (err) {
    throw new MslensError('BAD_ARGUMENT', `Could not create the folder ${opts.outDir}. Choose a folder you can write to.`, { path: opts.outDir }, { cause: err });
  }

  const scenePath = join(opts.outDir, `demo-s2l2a-${size}.tif`);
  const truthPath = join(opts.outDir, `demo-s2l2a-${size}-truth.tif`);
  const transform: GeoTransform = [DEMO_SCENE.originX, DEMO_SCENE.pixelSize, 0, DEMO_SCENE.originY, 0, -DEMO_SCENE.pixelSize];
  const common = { width: size, height: size, tileSize: DEMO_SCENE.blockSize, transform, epsg: DEMO_SCENE.epsg, nodata: 0 };
  const note = `synthetic Sentinel-2 L2A demo scene made by mslens (seed ${seed}), not a real acquisition`;

  const writers: GeoTiffWriter[] = [];
  const finished: string[] = [];
  try {
    const scene = createGeoTiffWriter({
      ...common,
      path: scenePath,
      bandCount: SAMPLES,
      sampleType: 'int16',
      bandDescriptions: DEMO_STACK_BANDS,
      metadata: {
        ACQUISITION_DATE: DEMO_SCENE.acquisitionDate,
        MGRS_TILE: DEMO_SCENE.mgrsTile,
        PRODUCT_TYPE: 'S2MSI2A',
        SYNTHETIC: 'YES',
        DESCRIPTION: `A ${note}.`,
        BOA_QUANTIFICATION_VALUE: '10000',
        BOA_ADD_OFFSET: '0',
        DEMO_SEED: String(seed),
      },
    });
    writers.push(scene);
    const truth = createGeoTiffWriter({
      ...common,
      path: truthPath,
      bandCount: 1,
      sampleType: 'uint8',
      bandDescriptions: ['CLASS'],
      metadata: {
        ACQUISITION_DATE: DEMO_SCENE.acquisitionDate,
        SYNTHETIC: 'YES',
        DESCRIPTION: `Ground-truth classes of a ${note}.`,
        LEGEND: DEMO_CLASSES.map((c) => `${c.code}=${c.name}`).join(','),
        DEMO_SEED: String(seed),
      },
    });
    writers.push(truth);

    const render = createBlockRenderer(size, seed);
    const total = scene.tilesAcross * scene.tilesDown;
    // Two buffers: the next block is rendered while the previous one is compressed on the
    // thread pool. Writes are appended in call order, so the files stay deterministic.
    const buffers = [newBlock(), newBlock()];
    let inFlight: Promise<unknown>[] = [];
    let done = 0;
    try {
      for (let ty = 0; ty < scene.tilesDown; ty++) {
        for (let tx = 0; tx < scene.tilesAcross; tx++) {
          throwIfAborted(signal);
          const block = buffers[done % 2];
          render(tx, ty, block);
          await Promise.all(inFlight); // frees the other buffer
          inFlight = [scene.writeTileAsync(tx, ty, block.scene), truth.writeTileAsync(tx, ty, block.truth)];
          done++;
          onProgress?.(done, total);
          // Let the event loop run, so an abort (or anything else) can get in between blocks.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
      await Promise.all(inFlight);
    } finally {
      await Promise.allSettled(inFlight);
    }
    throwIfAborted(signal);
    await scene.close();
    finished.push(scenePath);
    await truth.close();
  } catch (err) {
    for (const w of writers) await w.abort();
    // A new scene without its truth is no use: remove it if it was already in place.
    for (const p of finished) rmSync(p, { force: true });
    throw err;
  }
  return { scenePath, truthPath, legend: DEMO_CLASSES.map((c) => ({ code: c.code, name: c.name })) };
}

export interface DemoBlock {
  /** blockSize² × 13 int16 samples (12 bands, then the SCL), pixel-interleaved; 0 outside the scene. */
  scene: Int16Array;
  /** blockSize² class codes. */
  truth: Uint8Array;
}

function newBlock(): DemoBlock {
  const B = DEMO_SCENE.blockSize;
  return { scene: new Int16Array(B * B * SAMPLES), truth: new Uint8Array(B * B) };
}

/** Returns a function rendering block (tx, ty) of the scene, 256 × 256 pixels, into `out`. */
export function createBlockRenderer(size: number, seed: number): (tx: number, ty: number, out: DemoBlock) => void {
  const B = DEMO_SCENE.blockSize;
  const layout = createDemoLayout(size, seed, B);
  const spectra = new Float64Array(DEMO_SPECTRA.length * BANDS);
  const texAmp = new Float64Array(DEMO_SPECTRA.length);
  const jitAmp = new Float64Array(DEMO_SPECTRA.length);
  DEMO_SPECTRA.forEach((m, i) => {
    spectra.set(m.reflectance, i * BANDS);
    texAmp[i] = TEXTURE[m.id] ?? 0.1;
    jitAmp[i] = JITTER[m.id] ?? 0.03;
  });
  const cloudBase = MATERIAL['cloud-thick'] * BANDS;
  const seedTex = hash2(seed, 101, 0x74657874) | 0;
  const seedPix = hash2(seed, 102, 0x70697865) | 0;
  const g = new GroundSample();
  const rng = new PixelRng();
  const refl = new Float64Array(BANDS);

  return (tx, ty, out) => {
    const { scene, truth } = out;
    scene.fill(0);
    truth.fill(0);
    const x0 = tx * B;
    const y0 = ty * B;
    const w = Math.min(B, size - x0);
    const h = Math.min(B, size - y0);
    layout.beginBlock(x0, y0, w, h);
    for (let j = 0; j < h; j++) {
      const y = y0 + j;
      for (let i = 0; i < w; i++) {
        const x = x0 + i;
        layout.sample(x, y, g);
        const p = j * B + i;
        truth[p] = g.truth;
        if (g.n === 0) continue; // nodata
        // Fixed pixel-scale texture: 10 m pixels, features of a few hundred metres.
        const tex = fbm(x / 48, y / 48, seedTex, 3);
        rng.reset(x, y, seedPix);
        const jit = rng.gauss();
        for (let b = 0; b < BANDS; b++) refl[b] = 0;
        for (let k = 0; k < g.n; k++) {
          const m = g.mats[k];
          const f = g.wts[k] * (1 + texAmp[m] * tex) * (1 + jitAmp[m] * jit);
          const base = m * BANDS;
          for (let b = 0; b < BANDS; b++) refl[b] += f * spectra[base + b];
        }
        const a = g.cloud;
        const ground = (1 - a) * g.shadow;
        const cloudGain = a * (1 + 0.06 * tex);
        const o = p * SAMPLES;
        for (let b = 0; b < BANDS; b++) {
          const r = ground * refl[b] + cloudGain * spectra[cloudBase + b];
          // Sensor and retrieval noise, uniform with a standard deviation of ~1 % plus ~3 DN.
          const v = r * 10000 + (100 * r + 3) * (rng.next() - 0.5) * 3.4641016151377544 + 0.5;
          scene[o + b] = v < 1 ? 1 : v >= 32767 ? 32767 : v | 0;
        }
        scene[o + BANDS] = demoSclCode(g);
      }
    }
  };
}
