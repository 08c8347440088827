/**
 * A tile's embedding is a function of the tile alone: the same bits whether it is embedded
 * alone or inside batches of other sizes and other tiles, for every precision the converter
 * writes (float32, float16, int8). Real chips (tests/fixtures/msclip-examples) and demo-scene
 * tiles, on the reference model (tests/fixtures/openclip-ref).
 *
 * The per-tensor int8 scheme (DynamicQuantizeMatMul + QAttention, one activation scale over
 * the whole batch tensor, what mslens used before and ORT's quantize_dynamic does) is built
 * too, to show that this test catches batch dependence: there a chip's embedding moves by
 * ~1e-2 when its batch-mates change.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImageEncoder, convertOpenClipCheckpoint, openCheckpointWeightSource, openClipWeights, parseOpenClipConfig, writeOnnxModel,
} from '../../../../src-main/core/models/openclip/index.ts';
import { demoTiles } from './demo-tiles.ts';
import { OPENCLIP_REF, preprocessChip, readExpected, readRefConfig } from './reference-fixtures.ts';
import { openSession, row, runImage } from './run-encoders.ts';

const S = 224;
const PIX = 10 * S * S;
const D = 32; // the reference model's embedding size

let dir: string;
/** Five chips, then four demo tiles: [9, 10, 224, 224]. */
let tiles: Float32Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mslens-int8-batch-'));
  const expected = readExpected();
  const demo = await demoTiles(join(dir, 'demo'), 448); // 2 × 2 tiles
  tiles = new Float32Array(9 * PIX);
  for (let i = 0; i < 5; i++) tiles.set(await preprocessChip(expected.images[i].file), i * PIX);
  tiles.set(demo.pixels, 5 * PIX);
  const checkpoint = join(OPENCLIP_REF, 'checkpoint.pt');
  const config = readRefConfig().open_clip_registered_config;
  await convertOpenClipCheckpoint({ source: checkpoint, config, outDir: dir, variants: ['fp32', 'fp16', 'int8'] });
  const cfg = parseOpenClipConfig(config);
  const opened = await openCheckpointWeightSource(checkpoint);
  writeOnnxModel(await buildImageEncoder(openClipWeights(opened.source, cfg), cfg, { precision: 'int8', int8: { activations: 'tensor' } }), join(dir, 'per-tensor.int8.onnx'));
  await opened.close();
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Embeddings of the listed tiles run as one batch. */
async function embedBatch(s: ort.InferenceSession, which: readonly number[]): Promise<Float32Array> {
  const px = new Float32Array(which.length * PIX);
  which.forEach((t, i) => px.set(tiles.subarray(t * PIX, (t + 1) * PIX), i * PIX));
  return (await runImage(s, px, which.length, 10, S)).embedding;
}

/** Largest |Δ| of any embedding value between a tile alone and the same tile inside each batch. */
async function batchShift(file: string): Promise<number> {
  const s = await openSession(join(dir, file));
  try {
    const alone: Float32Array[] = [];
    for (let t = 0; t < 9; t++) alone.push(await embedBatch(s, [t]));
    const batches = [
      [0, 1], // two chips
      [3, 0, 4], // chips in another order
      [4, 3, 2, 1, 0], // all five chips, reversed
      [0, 5, 6, 7, 8], // a chip among demo tiles
      [8, 2, 2, 6], // a tile twice
      [1, 5, 2, 6, 3, 7, 4, 8, 0], // all nine interleaved
    ];
    let worst = 0;
    for (const b of batches) {
      const e = await embedBatch(s, b);
      b.forEach((t, i) => {
        const r = row(e, i, D);
        for (let k = 0; k < D; k++) worst = Math.max(worst, Math.abs(r[k] - alone[t][k]));
      });
    }
    return worst;
  } finally {
    await s.release();
  }
}

describe('a tile’s embedding does not depend on its batch', () => {
  it.each(['image-encoder.fp32.onnx', 'image-encoder.fp16.onnx', 'image-encoder.int8.onnx'])('%s: the same alone and in batches of 2–9 tiles, chips and demo tiles mixed', async (file) => {
    expect(await batchShift(file)).toBeLessThanOrEqual(1e-6);
  });

  it('per-tensor int8 (one activation scale per batch) fails the same test', async () => {
    expect(await batchShift('per-tensor.int8.onnx')).toBeGreaterThan(1e-3);
  });
});
