/**
 * The encoder graphs on small random models, against a naive float64 forward pass written
 * from open_clip's Python: covers config variants the reference fixture does not (RGB input,
 * another patch size, QuickGELU, no ln_pre, no causal mask, other key prefixes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildImageEncoder, buildTextEncoder, openClipWeights, parseOpenClipConfig, writeOnnxModel,
} from '../../../../src-main/core/models/openclip/index.ts';
import { naiveImage, naiveText, randomOpenClipTensors, rng, sourceOf } from './naive-openclip.ts';
import { cosine, maxAbsDiff } from './reference-fixtures.ts';
import { openSession, row, runImage, runText } from './run-encoders.ts';

const dir = mkdtempSync(join(tmpdir(), 'mslens-openclip-syn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES = [
  {
    name: 'RGB, patch 8, erf GELU, MS-CLIP prefix',
    bands: 3, prefix: 'clip_base_model.model.',
    cfg: { embed_dim: 16, vision_cfg: { image_size: 32, patch_size: 8, width: 32, head_width: 16, layers: 2 }, text_cfg: { context_length: 12, vocab_size: 100, width: 32, heads: 4, layers: 2 } },
  },
  {
    name: '4 bands, QuickGELU, no ln_pre, no causal mask, mlp_ratio 2, no prefix',
    bands: 4, prefix: '',
    cfg: { embed_dim: 8, quick_gelu: true, vision_cfg: { image_size: 24, patch_size: 12, width: 24, head_width: 8, layers: 3, mlp_ratio: 2, no_ln_pre: true }, text_cfg: { context_length: 10, vocab_size: 60, width: 24, heads: 3, layers: 1, no_causal_mask: true } },
  },
  {
    name: 'DDP "module." prefix, one layer each',
    bands: 2, prefix: 'module.',
    cfg: { embed_dim: 8, vision_cfg: { image_size: 16, patch_size: 4, width: 16, head_width: 16, layers: 1 }, text_cfg: { context_length: 8, vocab_size: 40, width: 16, heads: 2, layers: 1 } },
  },
] as const;

describe.each(CASES)('$name', ({ bands, prefix, cfg: raw }) => {
  const cfg = parseOpenClipConfig(raw);
  const tensors = randomOpenClipTensors(cfg, bands, 42, prefix);
  const weights = openClipWeights(sourceOf(tensors), cfg);
  const S = cfg.vision.imageSize;
  const L = cfg.text.contextLength;
  const V = cfg.text.vocabSize;
  const E = cfg.embedDim;
  const randn = rng(5);
  const N = 3;
  const pixels = Float32Array.from({ length: N * bands * S * S }, () => randn());
  // rows with the end token (the largest id) at different places, padding 0, and a full row
  const ids = [
    [V - 2, 5, 7, V - 1, ...new Array(L - 4).fill(0)],
    [V - 2, V - 1, ...new Array(L - 2).fill(0)],
    [V - 2, ...Array.from({ length: L - 2 }, (_, i) => 1 + ((i * 7) % (V - 3))), V - 1],
  ];
  const refImage = Array.from({ length: N }, (_, i) => naiveImage(cfg, tensors, pixels.subarray(i * bands * S * S, (i + 1) * bands * S * S), prefix));
  const refText = ids.map((r) => naiveText(cfg, tensors, r, prefix));

  it('finds the key prefix and band count', () => {
    expect(weights.prefix).toBe(prefix);
    expect(weights.bands).toBe(bands);
  });

  for (const precision of ['fp32', 'fp16'] as const) {
    for (const fused of [false, true]) {
      it(`${precision} ${fused ? 'fused' : 'plain'} graphs match the naive forward pass`, async () => {
        const tag = `${prefix || 'none'}-${bands}-${precision}-${fused}`;
        const im = writeOnnxModel(await buildImageEncoder(weights, cfg, { precision, fused }), join(dir, `img-${tag}.onnx`));
        const tx = writeOnnxModel(await buildTextEncoder(weights, cfg, { precision, fused }), join(dir, `txt-${tag}.onnx`));
        const si = await openSession(join(dir, im.file));
        const st = await openSession(join(dir, tx.file));
        const io = await runImage(si, pixels, N, bands, S);
        const to = await runText(st, ids);
        for (let i = 0; i < N; i++) {
          if (precision === 'fp32') {
            expect(maxAbsDiff(row(io.embedding, i, E), refImage[i].embedding)).toBeLessThan(2e-6);
            expect(maxAbsDiff(row(io.features, i, E), refImage[i].features)).toBeLessThan(1e-5);
            expect(maxAbsDiff(row(to.embedding, i, E), refText[i].embedding)).toBeLessThan(2e-6);
          } else {
            expect(cosine(row(io.embedding, i, E), refImage[i].embedding)).toBeGreaterThan(0.999);
            expect(cosine(row(to.embedding, i, E), refText[i].embedding)).toBeGreaterThan(0.999);
          }
        }
        await si.release();
        await st.release();
      });
    }
  }
});
