// Resizing tiles to the model input reproduces torchvision's Resize(224, BICUBIC, antialias)
// + CenterCrop(224) (reference values made by tests/fixtures/make-torchvision-resize-ref.py
// from the real chips).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromFile } from 'geotiff';
import ort from '../../../src-main/core/models/onnx/runtime.ts';
import { beforeAll, describe, expect, test } from 'vitest';
import { MSCLIP_PROFILE } from '../../../src-main/core/models/model-catalogue.ts';
import { buildPreprocessGraph } from '../../../src-main/core/models/preprocess.ts';
import { planResize, resizeWeights } from '../../../src-main/core/models/resize-weights.ts';
import { REPO } from '../../helpers/harness.ts';
import { fixture } from '../../helpers/fixtures.ts';

interface Ref { mosaic: string[]; cases: Record<string, { window: number[]; per_channel_mean: number[]; points: Record<string, number[]> }> }
const ref = JSON.parse(readFileSync(join(REPO, 'tests/fixtures/torchvision-resize-ref.json'), 'utf8')) as Ref;
const MODEL = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11];
/** 10 model bands of the 2 × 2 chip mosaic, [10, 448, 448]. */
let mosaic: Float32Array;

beforeAll(async () => {
  mosaic = new Float32Array(10 * 448 * 448);
  for (const [k, name] of ref.mosaic.entries()) {
    const image = await (await fromFile(fixture('msclip-examples', `${name}.tif`))).getImage();
    const bands = (await image.readRasters({ interleave: false })) as unknown as Int16Array[];
    const [r0, c0] = [Math.floor(k / 2) * 224, (k % 2) * 224];
    MODEL.forEach((s, b) => {
      for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) mosaic[b * 448 * 448 + (r0 + y) * 448 + c0 + x] = bands[s][y * 224 + x];
    });
  }
});

describe('preprocessing resize matches torchvision', () => {
  test.each(Object.keys(ref.cases))('%s', async (name) => {
    const { window: [row0, col0, h, w], per_channel_mean: means, points } = ref.cases[name];
    const raw = new Float32Array(10 * h * w);
    for (let b = 0; b < 10; b++) for (let y = 0; y < h; y++) raw.set(mosaic.subarray(b * 448 * 448 + (row0 + y) * 448 + col0, b * 448 * 448 + (row0 + y) * 448 + col0 + w), b * h * w + y * w);
    const graph = buildPreprocessGraph({ mean: MSCLIP_PROFILE.mean, std: MSCLIP_PROFILE.std, offset: 0, nodata: 0, height: h, width: w, inputSize: 224 });
    const session = await ort.InferenceSession.create(graph);
    const out = (await session.run({ raw: new ort.Tensor('float32', raw, [1, 10, h, w]) })).pixels.data as Float32Array;
    const plane = 224 * 224;
    for (let b = 0; b < 10; b++) {
      let s = 0;
      for (let i = 0; i < plane; i++) s += out[b * plane + i];
      expect(Math.abs(s / plane - means[b])).toBeLessThan(1e-5);
    }
    for (const [at, values] of Object.entries(points)) {
      const [r, c] = at.split(',').map(Number);
      values.forEach((v, b) => expect(Math.abs(out[b * plane + r * 224 + c] - v)).toBeLessThan(2e-5));
    }
  });
});

test('plans follow torchvision: short side to 224, long side truncated, centre crop rounded', () => {
  expect(planResize(300, 260, 224)).toEqual({ resized: [258, 224], crop: [17, 0] });
  expect(planResize(224, 170, 224)).toEqual({ resized: [295, 224], crop: [36, 0] });
  expect(planResize(448, 448, 224)).toEqual({ resized: [224, 224], crop: [0, 0] });
});

test('weights of each output sample sum to one', () => {
  for (const [n, m] of [[448, 224], [200, 224], [1000, 224]]) {
    const w = resizeWeights(n, m);
    for (let o = 0; o < m; o++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += w[o * n + j];
      expect(s).toBeCloseTo(1, 5);
    }
  }
});
