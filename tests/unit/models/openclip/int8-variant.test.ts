/**
 * The int8 image encoder (dynamic quantisation built by the converter) and the agreement
 * check that decides whether the app may use it on CPU, on the reference model
 * (tests/fixtures/openclip-ref): the five real chips and tiles of the demo scene.
 *
 * Measured on the reference model (ORT 1.30, CPU): int8 vs float32 min cosine 0.99992 on the
 * chips and 0.99989 on 9 demo tiles, zero-shot top-1 agreement 5/5 and 9/9. This random
 * model puts every tile in one class ('snow'); its smallest top-1 margin is 0.17 logits
 * (100 · cosine) on the demo tiles and 0.23 on the chips, while int8 moves a logit by up to
 * 0.27, so agreement holds with little room to spare. The tests also show that a variant that
 * disagrees fails the check, and that float32 then stays the CPU default.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MslensError } from '../../../../src-main/core/errors.ts';
import { ManifestSchema, imageEncoderFor } from '../../../../src-main/core/models/manifest.ts';
import {
  buildImageEncoder, checkImageVariant, compareImageEmbeddings, convertOpenClipCheckpoint, openClipWeights, parseOpenClipConfig, quantizeLinearWeight,
  writeOnnxModel, type ConvertOpenClipResult, type ImageVariantCheck,
} from '../../../../src-main/core/models/openclip/index.ts';
import { demoTiles } from './demo-tiles.ts';
import { naiveImage, randomOpenClipTensors, rng, sourceOf } from './naive-openclip.ts';
import { OPENCLIP_REF, cosine, preprocessChip, readExpected, readRefConfig, type Expected } from './reference-fixtures.ts';
import { openSession, row, runImage } from './run-encoders.ts';

const CHECKPOINT = join(OPENCLIP_REF, 'checkpoint.pt');
const N = 5;
const S = 224;
const PIX = 10 * S * S;

let expected: Expected;
let chips: Float32Array;
let demo: { pixels: Float32Array; n: number };
let classVectors: Float32Array;
let dir: string;
let plain: ConvertOpenClipResult;
const path = (sub: string, file: string) => join(dir, sub, file);

beforeAll(async () => {
  expected = readExpected();
  chips = new Float32Array(N * PIX);
  for (let i = 0; i < N; i++) chips.set(await preprocessChip(expected.images[i].file), i * PIX);
  // zero_shot.classifier: one unit text vector per class, [classes][embed_dim]
  classVectors = Float32Array.from(expected.zero_shot.classifier.flat());
  dir = mkdtempSync(join(tmpdir(), 'mslens-openclip-int8-'));
  demo = await demoTiles(join(dir, 'demo'), 672); // 3 × 3 tiles
  const config = readRefConfig().open_clip_registered_config;
  plain = await convertOpenClipCheckpoint({ source: CHECKPOINT, config, outDir: join(dir, 'a'), variants: ['fp32', 'int8'] });
  await convertOpenClipCheckpoint({ source: CHECKPOINT, config, outDir: join(dir, 'b'), variants: ['int8'], fused: { int8: true } });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('quantizeLinearWeight', () => {
  it('gives signed int8 Wᵀ with one symmetric scale per output channel', () => {
    const out = 3;
    const inp = 4;
    const w = Float32Array.of(
      0.5, -1.27, 0.01, 1.0, // row 0: max 1.27 → scale 0.01
      0, 0, 0, 0, // all zero → scale 1, all q 0
      2.54, 1.27, -2.54, 0.005, // max 2.54 → scale 0.02
    );
    const q = quantizeLinearWeight(w, out, inp);
    expect(Array.from(q.scale)).toEqual([Math.fround(0.01), 1, Math.fround(0.02)]);
    // [in, out] layout: q[k * out + o]
    const at = (o: number) => Array.from({ length: inp }, (_, k) => q.weight[k * out + o]);
    expect(at(0)).toEqual([50, -127, 1, 100]);
    expect(at(1)).toEqual([0, 0, 0, 0]);
    expect(at(2)).toEqual([127, 64, -127, 0]); // 63.5 rounds away from zero; 0.25 → 0
  });

  it('keeps 7-bit weights in −63…63 (levels 63), scale max|w|/63', () => {
    const q = quantizeLinearWeight(Float32Array.of(0.63, -0.315, 0.001, 0.2), 1, 4, 63);
    expect(Array.from(q.scale)).toEqual([Math.fround(0.01)]);
    expect(Array.from(q.weight)).toEqual([63, -32, 0, 20]); // −31.5 rounds away from zero
  });

  it('reconstructs random weights to within half a step', () => {
    const randn = rng(4);
    const out = 17;
    const inp = 33;
    const w = Float32Array.from({ length: out * inp }, () => randn());
    const q = quantizeLinearWeight(w, out, inp);
    for (let o = 0; o < out; o++) {
      for (let k = 0; k < inp; k++) {
        const v = q.weight[k * out + o];
        expect(Math.abs(v)).toBeLessThanOrEqual(127);
        expect(Math.abs(v * q.scale[o] - w[o * inp + k])).toBeLessThanOrEqual(q.scale[o] / 2 + 1e-7);
      }
    }
  });
});

describe('the int8 image encoder file', () => {
  it('is written next to float32, with no int8 text encoder', () => {
    expect(readdirSync(join(dir, 'a')).sort()).toEqual([
      'image-encoder.fp32.onnx', 'image-encoder.fp32.onnx.data', 'image-encoder.int8.onnx', 'image-encoder.int8.onnx.data',
      'text-encoder.fp32.onnx', 'text-encoder.fp32.onnx.data',
    ]);
    expect(plain.imageEncoders.int8).toMatchObject({ file: 'image-encoder.int8.onnx', input: 'pixels', output: 'embedding', precision: 'int8', fused: false });
    expect(plain.imageEncoders.int8?.dataFile?.file).toBe('image-encoder.int8.onnx.data');
    expect(plain.textEncoders.int8).toBeUndefined();
  });

  it('has the same inputs and outputs as float32', async () => {
    const a = await openSession(path('a', 'image-encoder.fp32.onnx'));
    const b = await openSession(path('a', 'image-encoder.int8.onnx'));
    expect(b.inputNames).toEqual(a.inputNames);
    expect(b.outputNames).toEqual(a.outputNames);
    await a.release();
    await b.release();
  });

  it('runs every transformer linear layer as a per-token int8 GEMM, keeping the patch embedding, attention and projection float32', () => {
    const cfg = parseOpenClipConfig(readRefConfig().open_clip_registered_config);
    for (const sub of ['a', 'b']) {
      const m = onnxProto.onnx.ModelProto.decode(readFileSync(path(sub, 'image-encoder.int8.onnx')));
      const count = (op: string) => m.graph!.node!.filter((n) => n.opType === op).length;
      const L = cfg.vision.layers;
      expect(count('MatMulIntegerToFloat')).toBe(6 * L); // q, k, v, out_proj, c_fc, c_proj
      expect(count('QuantizeLinear')).toBe(4 * L); // q, k and v share one quantised input
      expect(count('MultiHeadAttention')).toBe(L); // float32 attention
      expect(count('DynamicQuantizeMatMul') + count('QAttention') + count('DynamicQuantizeLinear')).toBe(0); // nothing per tensor
      expect(count('MatMul')).toBe(1); // visual.proj
      expect(count('Conv')).toBe(1); // conv1, float32
      if (sub === 'b') expect(count('SkipLayerNormalization')).toBe(2 * L);
      const int8 = m.graph!.initializer!.filter((t) => t.dataType === onnxProto.onnx.TensorProto.DataType.INT8);
      expect(int8.length).toBe(6 * L);
      expect(m.opsetImport!.map((o) => o.domain)).toContain('com.microsoft');
      expect(m.metadataProps!.find((p) => p.key === 'mslens.precision')?.value).toBe('int8');
    }
  });
});

describe('int8 against float32 on the reference model', () => {
  const check = (pixels: Float32Array, n: number, sub = 'a'): Promise<ImageVariantCheck> => checkImageVariant({
    referencePath: path('a', 'image-encoder.fp32.onnx'), variantPath: path(sub, 'image-encoder.int8.onnx'),
    pixels, n, size: S, bands: 10, classVectors, classes: expected.zero_shot.class_names.length,
  });

  it('agrees on the five chips (zero-shot top-1 and cosine)', async () => {
    const r = await check(chips, N);
    expect(r).toMatchObject({ top1Agreement: 1, tiles: 5, passed: true });
    expect(r.minCosine).toBeGreaterThanOrEqual(0.999);
  });

  it('agrees on the demo scene tiles', async () => {
    expect(demo.n).toBe(9);
    const r = await check(demo.pixels, demo.n);
    expect(r).toMatchObject({ top1Agreement: 1, tiles: 9, passed: true });
    expect(r.minCosine).toBeGreaterThanOrEqual(0.999);
  });

  it('stays within cosine 0.999 of upstream and picks upstream’s top-1 class', async () => {
    const s = await openSession(path('a', 'image-encoder.int8.onnx'));
    const emb = (await runImage(s, chips, N, 10, S)).embedding;
    const D = expected.embed_dim;
    for (let i = 0; i < N; i++) {
      const e = row(emb, i, D);
      expect(cosine(e, expected.images[i].embedding)).toBeGreaterThanOrEqual(0.999);
      const logits = expected.zero_shot.classifier.map((c) => c.reduce((acc, v, k) => acc + v * e[k], 0));
      expect(expected.zero_shot.class_names[logits.indexOf(Math.max(...logits))]).toBe(expected.images[i].top1_zero_shot);
    }
    // activations are quantised per token: a tile alone and in a batch of five give the same bits
    const alone = (await runImage(s, chips.subarray(0, PIX), 1, 10, S)).embedding;
    expect(Array.from(alone)).toEqual(Array.from(row(emb, 0, D)));
    await s.release();
  });

  it('the fused int8 graph (SkipLayerNormalization, BiasGelu around the per-token GEMMs) agrees as well', async () => {
    const r = await check(demo.pixels, demo.n, 'b');
    expect(r).toMatchObject({ top1Agreement: 1, passed: true });
    expect(r.minCosine).toBeGreaterThanOrEqual(0.999);
  });
});

describe('checkImageVariant', () => {
  it('fails a variant that is not the same model, and then float32 stays the CPU default', async () => {
    // another random model with the reference's shapes
    const cfg = parseOpenClipConfig(readRefConfig().open_clip_registered_config);
    const other = randomOpenClipTensors(cfg, 10, 99);
    writeOnnxModel(await buildImageEncoder(openClipWeights(sourceOf(other), cfg), cfg, { precision: 'int8' }), path('a', 'other.int8.onnx'));
    const bad = await checkImageVariant({
      referencePath: path('a', 'image-encoder.fp32.onnx'), variantPath: path('a', 'other.int8.onnx'),
      pixels: demo.pixels, n: demo.n, size: S, bands: 10, classVectors, classes: 4, batchSize: 4,
    });
    expect(bad.passed).toBe(false);
    expect(bad.minCosine).toBeLessThan(0.99);
    expect(bad.tiles).toBe(9);

    const good = await checkImageVariant({
      referencePath: path('a', 'image-encoder.fp32.onnx'), variantPath: path('a', 'image-encoder.int8.onnx'),
      pixels: chips, n: N, size: S, bands: 10, classVectors, classes: 4,
    });
    // the result is exactly the manifest's int8.check, and drives the CPU choice
    const manifest = (check: ImageVariantCheck) => ManifestSchema.parse({
      formatVersion: 1, id: 'ref', name: 'ref', kind: 'clip', licence: { id: 'test' },
      bands: ['B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B11', 'B12'],
      normalization: { mean: new Array(10).fill(0), std: new Array(10).fill(1) },
      inputSize: 224, embeddingDim: 32,
      imageEncoder: {
        file: 'image-encoder.fp32.onnx', sha256: '0'.repeat(64), input: 'pixels', output: 'embedding',
        variants: { int8: { file: 'image-encoder.int8.onnx', sha256: '1'.repeat(64), input: 'pixels', output: 'embedding', check } },
      },
      textEncoder: { kind: 'clip-bpe', contextLength: 77, file: 'text-encoder.fp32.onnx', sha256: '2'.repeat(64), input: 'tokens', output: 'embedding' },
      logitScale: 100,
    });
    expect(manifest(good).imageEncoder.variants?.int8?.check).toEqual(good);
    expect(imageEncoderFor(manifest(good), 'cpu').precision).toBe('int8');
    expect(imageEncoderFor(manifest(bad), 'cpu').precision).toBe('fp32');
    expect(imageEncoderFor(manifest(good), 'cuda').precision).toBe('fp32'); // int8 is for CPU only
  });

  it('rejects inputs that do not fit, and reports a model that does not load', async () => {
    const base = {
      referencePath: path('a', 'image-encoder.fp32.onnx'), variantPath: path('a', 'image-encoder.int8.onnx'),
      pixels: chips, n: N, size: S, bands: 10, classVectors, classes: 4,
    };
    const fails = async (p: Promise<unknown>, code: string, message: RegExp) => {
      const err = await p.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(MslensError);
      expect((err as MslensError).code).toBe(code);
      expect((err as MslensError).message).toMatch(message);
    };
    await fails(checkImageVariant({ ...base, n: 4 }), 'BAD_ARGUMENT', /need 2007040/);
    await fails(checkImageVariant({ ...base, classes: 3 }), 'BAD_ARGUMENT', /do not split into 3 classes/);
    await fails(checkImageVariant({ ...base, classVectors: classVectors.subarray(0, 4 * 16), classes: 4 }), 'BAD_ARGUMENT', /16 dimensions, the image embeddings 32/);
    await fails(checkImageVariant({ ...base, n: 0 }), 'BAD_ARGUMENT', /positive whole n/);
    await fails(checkImageVariant({ ...base, variantPath: path('a', 'missing.onnx') }), 'MODEL_LOAD_FAILED', /could not be loaded/);
    const ac = new AbortController();
    ac.abort();
    await fails(checkImageVariant({ ...base, signal: ac.signal }), 'CANCELLED', /cancelled/);
  });
});

describe('compareImageEmbeddings', () => {
  it('reports cosine, top-1 and margins per tile', () => {
    // 2 classes in 2-d: e1 and e2; three tiles
    const cls = Float32Array.of(1, 0, 0, 1);
    const ref = Float32Array.of(1, 0.1, 0.5, 0.49, 0, 2);
    const variant = Float32Array.of(1, 0.12, 0.49, 0.5, 0, 2);
    const { check, tiles } = compareImageEmbeddings(ref, variant, cls, 2);
    expect(check).toMatchObject({ tiles: 3, passed: false });
    expect(check.top1Agreement).toBeCloseTo(2 / 3, 12);
    expect(check.minCosine).toBeGreaterThan(0.999);
    expect(tiles.map((t) => [t.referenceTop1, t.variantTop1])).toEqual([[0, 0], [0, 1], [1, 1]]);
    expect(tiles[1].referenceMargin).toBeCloseTo((100 * 0.01) / Math.hypot(0.5, 0.49), 4); // a near-tie flips
    expect(tiles[2].cosine).toBe(1);
    expect(() => compareImageEmbeddings(ref, variant.subarray(2), cls, 2)).toThrow(/not the same model/);
  });
});

describe('converting int8', () => {
  it('counts progress over the image encoder only and can run alone', async () => {
    const cfg = parseOpenClipConfig({ embed_dim: 8, vision_cfg: { image_size: 32, patch_size: 16, width: 16, head_width: 8, layers: 2 }, text_cfg: { context_length: 8, vocab_size: 50, width: 16, heads: 2, layers: 1 } });
    const progress: { file: string; done: number; total: number }[] = [];
    const r = await convertOpenClipCheckpoint({ source: sourceOf(randomOpenClipTensors(cfg, 10, 5)), config: cfg, outDir: join(dir, 'only-int8'), variants: ['int8'], onProgress: (p) => progress.push(p) });
    expect(Object.keys(r.imageEncoders)).toEqual(['int8']);
    expect(r.textEncoders).toEqual({});
    const last = progress[progress.length - 1];
    expect(last.done).toBe(last.total);
    expect(new Set(progress.map((p) => p.file))).toEqual(new Set(['image-encoder.int8.onnx']));
    await expect(convertOpenClipCheckpoint({ source: sourceOf(randomOpenClipTensors(cfg, 10, 5)), config: cfg, outDir: join(dir, 'bad'), variants: ['int4' as 'int8'] }))
      .rejects.toThrow(/fp32 and\/or fp16 \(and int8 for the image encoder\)/);
  });
});

describe('int8 on other open_clip configurations (against a naive float64 forward pass)', () => {
  it.each([
    { name: 'RGB, QuickGELU, no ln_pre', bands: 3, cfg: { embed_dim: 16, quick_gelu: true, vision_cfg: { image_size: 32, patch_size: 8, width: 64, head_width: 16, layers: 2, no_ln_pre: true }, text_cfg: { context_length: 8, vocab_size: 40, width: 16, heads: 2, layers: 1 } } },
    { name: '4 bands, erf GELU, mlp_ratio 2', bands: 4, cfg: { embed_dim: 16, vision_cfg: { image_size: 24, patch_size: 12, width: 96, head_width: 32, layers: 3, mlp_ratio: 2 }, text_cfg: { context_length: 8, vocab_size: 40, width: 16, heads: 2, layers: 1 } } },
  ])('$name', async ({ bands, cfg: raw }) => {
    const cfg = parseOpenClipConfig(raw);
    const tensors = randomOpenClipTensors(cfg, bands, 12);
    for (const fused of [false, true]) {
      const file = join(dir, `syn-${bands}-${fused}.onnx`);
      writeOnnxModel(await buildImageEncoder(openClipWeights(sourceOf(tensors), cfg), cfg, { precision: 'int8', fused }), file);
      const s = await openSession(file);
      const Sz = cfg.vision.imageSize;
      const randn = rng(8);
      const n = 3;
      const px = Float32Array.from({ length: n * bands * Sz * Sz }, () => randn());
      const got = (await runImage(s, px, n, bands, Sz)).embedding;
      for (let i = 0; i < n; i++) {
        const ref = naiveImage(cfg, tensors, px.subarray(i * bands * Sz * Sz, (i + 1) * bands * Sz * Sz)).embedding;
        expect(cosine(row(got, i, cfg.embedDim), ref)).toBeGreaterThanOrEqual(0.995);
      }
      await s.release();
    }
  });
});
