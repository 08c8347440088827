import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MslensError } from '../../../../src-main/core/errors.ts';
import {
  convertOpenClipCheckpoint, memoryWeightSource, openClipWeights, parseOpenClipConfig, type ConvertProgress, type WeightSource,
} from '../../../../src-main/core/models/openclip/index.ts';
import { fromHalfBits, toFloat16Array, toHalfBits } from '../../../../src-main/core/models/openclip/float16.ts';
import { randomOpenClipTensors, sourceOf, type Tensors } from './naive-openclip.ts';

const dir = mkdtempSync(join(tmpdir(), 'mslens-openclip-conv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RAW = { embed_dim: 8, vision_cfg: { image_size: 32, patch_size: 16, width: 16, head_width: 8, layers: 2 }, text_cfg: { context_length: 8, vocab_size: 300, width: 16, heads: 2, layers: 2 } };
const CFG = parseOpenClipConfig(RAW);
const PREFIX = 'clip_base_model.model.';
const fresh = () => randomOpenClipTensors(CFG, 10, 3, PREFIX);

async function modelError(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(MslensError);
  expect((err as MslensError).code).toBe(code);
  expect((err as MslensError).message).toMatch(message);
}

describe('convertOpenClipCheckpoint', () => {
  it('writes both encoders per precision, with external data, and returns manifest facts', async () => {
    const t = fresh();
    const aliased: Tensors = new Map(t);
    // MS-CLIP also stores the same tensors under two more prefixes, and a temperature
    for (const [k, v] of t) aliased.set(k.replace(PREFIX, 'image_encoder.model.'), v);
    aliased.set('temperature', { shape: [], data: Float32Array.of(0.07) });
    const progress: ConvertProgress[] = [];
    const out = join(dir, 'ok');
    const r = await convertOpenClipCheckpoint({ source: sourceOf(aliased), config: RAW, outDir: out, variants: ['fp32', 'fp16'], onProgress: (p) => progress.push(p) });
    expect(r).toMatchObject({ embedDim: 8, bands: 10, imageSize: 32, contextLength: 8, vocabSize: 300, keyPrefix: PREFIX });
    expect(r.logitScale).toBeCloseTo(Math.exp(t.get(`${PREFIX}logit_scale`)!.data[0]), 4);
    expect(readdirSync(out).sort()).toEqual([
      'image-encoder.fp16.onnx', 'image-encoder.fp16.onnx.data', 'image-encoder.fp32.onnx', 'image-encoder.fp32.onnx.data',
      'text-encoder.fp16.onnx', 'text-encoder.fp16.onnx.data', 'text-encoder.fp32.onnx', 'text-encoder.fp32.onnx.data',
    ]);
    for (const e of [r.imageEncoders.fp32!, r.textEncoders.fp16!]) {
      expect(statSync(join(out, e.file)).size).toBe(e.bytes);
      expect(statSync(join(out, e.dataFile!.file)).size).toBe(e.dataFile!.bytes);
    }
    // fp16 weights are half the size
    expect(r.textEncoders.fp16!.dataFile!.bytes).toBeLessThan(0.55 * r.textEncoders.fp32!.dataFile!.bytes);
    const last = progress[progress.length - 1];
    expect(last.done).toBe(last.total);
    expect(progress.map((p) => p.file)).toContain('text-encoder.fp16.onnx');
    expect(progress.some((p) => p.phase === 'writing')).toBe(true);
  });

  it('is cancelled by its AbortSignal, leaving no temporary files', async () => {
    const ac = new AbortController();
    const out = join(dir, 'cancel');
    let n = 0;
    const p = convertOpenClipCheckpoint({
      source: sourceOf(fresh()), config: RAW, outDir: out, signal: ac.signal,
      onProgress: () => { if (++n === 20) ac.abort(); },
    });
    await modelError(p, 'CANCELLED', /cancelled/);
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses a checkpoint that does not match the config', async () => {
    const t = fresh();
    t.delete(`${PREFIX}transformer.resblocks.1.mlp.c_fc.bias`);
    await modelError(convertOpenClipCheckpoint({ source: sourceOf(t), config: RAW, outDir: join(dir, 'bad1') }), 'MODEL_LOAD_FAILED', /no clip_base_model\.model\.transformer\.resblocks\.1\.mlp\.c_fc\.bias/);

    const wider = parseOpenClipConfig({ ...RAW, vision_cfg: { ...RAW.vision_cfg, width: 32 } });
    await modelError(convertOpenClipCheckpoint({ source: sourceOf(fresh()), config: wider, outDir: join(dir, 'bad2') }), 'MODEL_LOAD_FAILED', /config gives an image width of 32, but the checkpoint has 16\. Use the config that belongs to this checkpoint/);

    const fewer = parseOpenClipConfig({ ...RAW, text_cfg: { ...RAW.text_cfg, layers: 1 } });
    await modelError(convertOpenClipCheckpoint({ source: sourceOf(fresh()), config: fewer, outDir: join(dir, 'bad3') }), 'MODEL_LOAD_FAILED', /config gives text transformer layers 1, but the checkpoint has 2/);

    // Sizes are checked against the checkpoint before anything is sized from the config.
    const deeper = parseOpenClipConfig({ ...RAW, vision_cfg: { ...RAW.vision_cfg, layers: 200 } });
    await modelError(convertOpenClipCheckpoint({ source: sourceOf(fresh()), config: deeper, outDir: join(dir, 'bad3b') }), 'MODEL_LOAD_FAILED', /image transformer layers 200, but the checkpoint has 2/);
    await modelError(convertOpenClipCheckpoint({ source: sourceOf(fresh()), config: { ...RAW, vision_cfg: { ...RAW.vision_cfg, layers: 1e9 } }, outDir: join(dir, 'bad3c') }), 'BAD_ARGUMENT', /vision_cfg\.layers is 1000000000, more than any CLIP model has \(at most 256\)/);

    const notClip = memoryWeightSource(new Map([['fc.weight', { shape: [2, 2], data: new Float32Array(4) }]]));
    await modelError(convertOpenClipCheckpoint({ source: notClip, config: RAW, outDir: join(dir, 'bad4') }), 'MODEL_LOAD_FAILED', /not an open_clip ViT model/);

    await modelError(convertOpenClipCheckpoint({ source: sourceOf(fresh()), config: { embed_dim: 8 }, outDir: join(dir, 'bad5') }), 'BAD_ARGUMENT', /vision_cfg/);
    await modelError(convertOpenClipCheckpoint({ source: sourceOf(fresh()), config: RAW, outDir: join(dir, 'bad6'), variants: [] }), 'BAD_ARGUMENT', /fp32 and\/or fp16/);
  });

  it('reports a missing checkpoint file through the checkpoint reader', async () => {
    const p = convertOpenClipCheckpoint({ source: join(dir, 'nope.pt'), config: RAW, outDir: join(dir, 'bad7') });
    await expect(p).rejects.toBeInstanceOf(MslensError);
  });

  it('reads each tensor once per graph and drops nothing it needs', async () => {
    const t = fresh();
    const reads = new Map<string, number>();
    const base = sourceOf(t);
    const counting: WeightSource = { keys: base.keys, shape: base.shape, read: (k) => { reads.set(k, (reads.get(k) ?? 0) + 1); return base.read(k); } };
    await convertOpenClipCheckpoint({ source: counting, config: CFG, outDir: join(dir, 'count'), variants: ['fp32'] });
    const w = openClipWeights(base, CFG);
    expect(w.bands).toBe(10);
    for (const [k, n] of reads) expect(n, k).toBe(1);
    expect(reads.size).toBe(t.size); // every tensor of the model, logit_scale included
  });
});

describe('float16 conversion', () => {
  it('rounds to nearest even and handles the edge cases', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(65520)).toBe(0x7c00); // rounds up to Inf
    expect(toHalfBits(2 ** -24)).toBe(0x0001);
    expect(toHalfBits(2 ** -25)).toBe(0x0000); // tie → even (0)
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalfBits(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(fromHalfBits(toHalfBits(NaN)))).toBe(true);
    for (let h = 0; h < 0x7c00; h += 7) expect(toHalfBits(fromHalfBits(h))).toBe(h);
    expect(Array.from(toFloat16Array(Float32Array.of(0.5, -0.25)))).toEqual([0x3800, 0xb400]);
  });
});
