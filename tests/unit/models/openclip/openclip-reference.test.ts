/**
 * The converter against the upstream reference (tests/fixtures/openclip-ref): the real
 * MS-CLIP key layout, the five real chips, outputs computed by msclip/open_clip in float32.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertOpenClipCheckpoint, type ConvertOpenClipResult } from '../../../../src-main/core/models/openclip/index.ts';
import { createClipTokenizer } from '../../../../src-main/core/models/tokenizer/index.ts';
import {
  OPENCLIP_REF, cosine, maxAbsDiff, norm, preprocessChip, readExpected, readRefConfig, readTemplates, type Expected,
} from './reference-fixtures.ts';
import { openSession, row, runImage, runText } from './run-encoders.ts';

const CHECKPOINT = join(OPENCLIP_REF, 'checkpoint.pt');
const EMB_TOL = 1e-5;

let expected: Expected;
let pixels: Float32Array;
let dir: string;
/** Plain graphs (the default) in a/, fused com.microsoft graphs in b/. */
let converted: { plain: ConvertOpenClipResult; fused: ConvertOpenClipResult };
const N = 5;
const PIX = 10 * 224 * 224;

beforeAll(async () => {
  expected = readExpected();
  pixels = new Float32Array(N * PIX);
  for (let i = 0; i < N; i++) pixels.set(await preprocessChip(expected.images[i].file), i * PIX);
  dir = mkdtempSync(join(tmpdir(), 'mslens-openclip-'));
  const config = readRefConfig().open_clip_registered_config;
  converted = {
    plain: await convertOpenClipCheckpoint({ source: CHECKPOINT, config, outDir: join(dir, 'a'), variants: ['fp32', 'fp16'] }),
    fused: await convertOpenClipCheckpoint({ source: CHECKPOINT, config, outDir: join(dir, 'b'), variants: ['fp32', 'fp16'], fused: { fp32: true, fp16: true } }),
  };
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('preprocessed chips (test input)', () => {
  it('match the upstream checksums', () => {
    for (let i = 0; i < N; i++) {
      const p = expected.images[i].preprocessed;
      const x = pixels.subarray(i * PIX, (i + 1) * PIX);
      let sum = 0;
      for (const v of x) sum += v;
      expect(Math.abs(sum - p.sum) / Math.abs(p.sum)).toBeLessThan(1e-6);
      const at = (r: number, c: number) => Array.from({ length: 10 }, (_, b) => x[b * 224 * 224 + r * 224 + c]);
      expect(maxAbsDiff(at(0, 0), p.pixel_0_0)).toBeLessThan(1e-6);
      expect(maxAbsDiff(at(100, 57), p.pixel_row100_col57)).toBeLessThan(1e-6);
      const means = Array.from({ length: 10 }, (_, b) => x.subarray(b * 224 * 224, (b + 1) * 224 * 224).reduce((s, v) => s + v, 0) / (224 * 224));
      expect(maxAbsDiff(means, p.per_channel_mean)).toBeLessThan(1e-6);
    }
  });
});

describe('conversion facts', () => {
  it('reports bands, sizes, prefix and logit scale from the checkpoint', () => {
    const r = converted.plain;
    expect(r).toMatchObject({ embedDim: 32, bands: 10, imageSize: 224, contextLength: 77, vocabSize: 49408, keyPrefix: 'clip_base_model.model.' });
    expect(r.logitScale).toBeGreaterThan(1);
    expect(r.imageEncoders.fp32).toMatchObject({ file: 'image-encoder.fp32.onnx', input: 'pixels', output: 'embedding', fused: false, precision: 'fp32' });
    expect(r.imageEncoders.fp32?.dataFile?.file).toBe('image-encoder.fp32.onnx.data');
    expect(r.textEncoders.fp16).toMatchObject({ file: 'text-encoder.fp16.onnx', input: 'tokens', fused: false, precision: 'fp16' });
    expect(r.imageEncoders.fp32?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(converted.fused.imageEncoders.fp16).toMatchObject({ fused: true, precision: 'fp16' });
  });
});

interface Run { image: { embedding: Float32Array; features: Float32Array }; text: { embedding: Float32Array; features: Float32Array } }

async function runVariant(sub: 'a' | 'b', precision: 'fp32' | 'fp16', level: 'all' | 'disabled' = 'all'): Promise<Run & { sessions: ort.InferenceSession[] }> {
  const img = await openSession(join(dir, sub, `image-encoder.${precision}.onnx`), level);
  const txt = await openSession(join(dir, sub, `text-encoder.${precision}.onnx`), level);
  const image = await runImage(img, pixels, N, 10, 224);
  const text = await runText(txt, expected.texts.map((t) => t.token_ids));
  return { image, text, sessions: [img, txt] };
}

const VARIANTS = [
  { name: 'fp32 plain (standard ONNX operators)', sub: 'a', precision: 'fp32', level: 'all' },
  { name: 'fp32 plain, ONNX Runtime graph optimisations off', sub: 'a', precision: 'fp32', level: 'disabled' },
  { name: 'fp32 fused (com.microsoft operators)', sub: 'b', precision: 'fp32', level: 'all' },
] as const;

describe.each(VARIANTS)('$name', ({ sub, precision, level }) => {
  let run: Run & { sessions: ort.InferenceSession[] };
  beforeAll(async () => { run = await runVariant(sub, precision, level); });
  afterAll(async () => { for (const s of run?.sessions ?? []) await s.release(); });

  it('image embeddings match upstream to 1e-5', () => {
    const D = expected.embed_dim;
    for (let i = 0; i < N; i++) {
      const d = maxAbsDiff(row(run.image.embedding, i, D), expected.images[i].embedding);
      expect(d, expected.images[i].file).toBeLessThanOrEqual(EMB_TOL);
    }
  });

  it('text embeddings match upstream to 1e-5 (including the empty and the truncated text)', () => {
    const D = expected.embed_dim;
    for (let j = 0; j < expected.texts.length; j++) {
      const d = maxAbsDiff(row(run.text.embedding, j, D), expected.texts[j].embedding);
      expect(d, JSON.stringify(expected.texts[j].text.slice(0, 40))).toBeLessThanOrEqual(EMB_TOL);
    }
  });

  it('raw features match upstream (relative 1e-4 of the norm)', () => {
    const D = expected.embed_dim;
    const rf = expected.raw_features;
    expect(maxAbsDiff(row(run.image.features, 0, D), rf.image_feature)).toBeLessThanOrEqual(1e-4 * rf.image_feature_norm);
    expect(maxAbsDiff(row(run.text.features, 0, D), rf.text_feature)).toBeLessThanOrEqual(1e-4 * rf.text_feature_norm);
    expect(Math.abs(norm(row(run.image.features, 0, D)) - rf.image_feature_norm)).toBeLessThan(1e-4 * rf.image_feature_norm);
  });

  it('retrieval cosines match upstream to 1e-5', async () => {
    const txt = run.sessions[1];
    const q = (await runText(txt, [expected.retrieval.query_token_ids])).embedding;
    const D = expected.embed_dim;
    const cos = Array.from({ length: N }, (_, i) => row(run.image.embedding, i, D).reduce((s, v, k) => s + v * q[k], 0));
    expect(maxAbsDiff(cos, expected.retrieval.cosine_similarity)).toBeLessThanOrEqual(EMB_TOL);
  });
});

describe('zero-shot classification (fp32 plain, templates tokenised by the app tokenizer)', () => {
  it('classifier columns, logits and probabilities match upstream', async () => {
    const tokenizer = createClipTokenizer();
    // the tokenizer itself must reproduce the fixture's ids, or the comparison below means nothing
    const ids = tokenizer.tokenize(expected.texts.map((t) => t.text));
    expect(Array.from(ids)).toEqual(expected.texts.flatMap((t) => t.token_ids));

    const txt = await openSession(join(dir, 'a', 'text-encoder.fp32.onnx'));
    const img = await openSession(join(dir, 'a', 'image-encoder.fp32.onnx'));
    const templates = readTemplates();
    const D = expected.embed_dim;
    const zs = expected.zero_shot;
    const classifier: number[][] = [];
    for (const c of zs.class_names) {
      const tok = tokenizer.tokenize(templates.map((t) => t.replaceAll('{c}', c)));
      const rows = Array.from({ length: templates.length }, (_, i) => Array.from(tok.subarray(i * 77, (i + 1) * 77)));
      const emb = (await runText(txt, rows)).embedding;
      const mean = new Array<number>(D).fill(0);
      for (let i = 0; i < templates.length; i++) for (let k = 0; k < D; k++) mean[k] += emb[i * D + k] / templates.length;
      const n = norm(mean);
      classifier.push(mean.map((v) => v / n));
    }
    for (let k = 0; k < classifier.length; k++) expect(maxAbsDiff(classifier[k], zs.classifier[k]), zs.class_names[k]).toBeLessThanOrEqual(EMB_TOL);

    const imgEmb = (await runImage(img, pixels, N, 10, 224)).embedding;
    for (let i = 0; i < N; i++) {
      const logits = classifier.map((col) => 100 * col.reduce((s, v, k) => s + v * imgEmb[i * D + k], 0));
      const mx = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - mx));
      const z = e.reduce((a, b) => a + b, 0);
      expect(maxAbsDiff(logits, zs.logits[i])).toBeLessThanOrEqual(1e-3);
      expect(maxAbsDiff(e.map((v) => v / z), zs.probs[i])).toBeLessThanOrEqual(1e-4);
    }
    await txt.release();
    await img.release();
  });
});

describe.each([
  { name: 'fp16 plain', sub: 'a' },
  { name: 'fp16 fused', sub: 'b' },
] as const)('$name (run on CPU)', ({ sub }) => {
  it('stays within cosine 0.999 of float32 and of upstream', async () => {
    const fp16 = await runVariant(sub, 'fp16');
    const fp32 = await runVariant('a', 'fp32');
    const D = expected.embed_dim;
    for (let i = 0; i < N; i++) {
      expect(cosine(row(fp16.image.embedding, i, D), row(fp32.image.embedding, i, D))).toBeGreaterThanOrEqual(0.999);
      expect(cosine(row(fp16.image.embedding, i, D), expected.images[i].embedding)).toBeGreaterThanOrEqual(0.999);
    }
    for (let j = 0; j < expected.texts.length; j++) {
      expect(cosine(row(fp16.text.embedding, j, D), row(fp32.text.embedding, j, D))).toBeGreaterThanOrEqual(0.999);
      expect(cosine(row(fp16.text.embedding, j, D), expected.texts[j].embedding)).toBeGreaterThanOrEqual(0.999);
    }
    for (const s of [...fp16.sessions, ...fp32.sessions]) await s.release();
  });
});
