import { describe, expect, it } from 'vitest';
import { MslensError } from '../../../../src-main/core/errors.ts';
import { parseOpenClipConfig, VIT_B_16_CONFIG } from '../../../../src-main/core/models/openclip/index.ts';
import { readRefConfig } from './reference-fixtures.ts';

function badArgument(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MslensError);
    expect((err as MslensError).code).toBe('BAD_ARGUMENT');
    expect((err as MslensError).message).toMatch(message);
    return;
  }
  throw new Error('expected a BAD_ARGUMENT error');
}

describe('parseOpenClipConfig', () => {
  it('fills open_clip defaults for ViT-B-16', () => {
    expect(parseOpenClipConfig(VIT_B_16_CONFIG)).toEqual({
      embedDim: 512,
      quickGelu: false,
      vision: { imageSize: 224, patchSize: 16, width: 768, layers: 12, heads: 12, headWidth: 64, mlpWidth: 3072, lnPre: true },
      text: { contextLength: 77, vocabSize: 49408, width: 512, heads: 8, layers: 12, mlpWidth: 2048, causalMask: true },
    });
  });

  it('reads the reference config, registered and fully resolved, to the same result', () => {
    const ref = readRefConfig();
    const a = parseOpenClipConfig(ref.open_clip_registered_config);
    const b = parseOpenClipConfig(ref.resolved);
    expect(a).toEqual(b);
    expect(a.vision).toMatchObject({ width: 64, heads: 2, headWidth: 32, mlpWidth: 256, layers: 2 });
    expect(a.text).toMatchObject({ width: 64, heads: 2, mlpWidth: 256, layers: 2 });
  });

  it('unwraps a Hugging Face open_clip_config.json (model_cfg)', () => {
    const cfg = parseOpenClipConfig({ model_cfg: { ...VIT_B_16_CONFIG, quick_gelu: true }, preprocess_cfg: { mean: [0, 0, 0] } });
    expect(cfg.quickGelu).toBe(true);
    expect(cfg.embedDim).toBe(512);
  });

  it('honours mlp_ratio, no_ln_pre and no_causal_mask', () => {
    const cfg = parseOpenClipConfig({
      embed_dim: 8,
      vision_cfg: { width: 32, head_width: 16, mlp_ratio: 2.5, no_ln_pre: true },
      text_cfg: { width: 16, heads: 2, no_causal_mask: true },
    });
    expect(cfg.vision).toMatchObject({ mlpWidth: 80, heads: 2, lnPre: false });
    expect(cfg.text).toMatchObject({ mlpWidth: 64, causalMask: false });
  });

  it('rejects unsupported variants with a message naming the field', () => {
    const base = VIT_B_16_CONFIG;
    badArgument(() => parseOpenClipConfig({ ...base, vision_cfg: { ...base.vision_cfg, attentional_pool: true } }), /attentional pooling.*vision_cfg\.attentional_pool/);
    badArgument(() => parseOpenClipConfig({ ...base, vision_cfg: { ...base.vision_cfg, pool_type: 'avg' } }), /pooling other than 'tok'/);
    badArgument(() => parseOpenClipConfig({ ...base, vision_cfg: { ...base.vision_cfg, qk_norm: true } }), /qk_norm/);
    badArgument(() => parseOpenClipConfig({ ...base, vision_cfg: { ...base.vision_cfg, ls_init_value: 1e-5 } }), /LayerScale/);
    badArgument(() => parseOpenClipConfig({ ...base, vision_cfg: { ...base.vision_cfg, timm_model_name: 'vit_base' } }), /timm/);
    badArgument(() => parseOpenClipConfig({ ...base, vision_cfg: { layers: [3, 4, 6, 3], width: 64 } }), /ResNet/);
    badArgument(() => parseOpenClipConfig({ ...base, text_cfg: { ...base.text_cfg, hf_model_name: 'roberta-base' } }), /Hugging Face text tower/);
    badArgument(() => parseOpenClipConfig({ ...base, text_cfg: { ...base.text_cfg, pool_type: 'last' } }), /text pooling/);
    badArgument(() => parseOpenClipConfig({ ...base, init_logit_bias: -10 }), /SigLIP/);
    badArgument(() => parseOpenClipConfig({ ...base, custom_text: true }), /custom text tower/);
  });

  it('rejects missing or malformed fields', () => {
    badArgument(() => parseOpenClipConfig(null), /JSON object/);
    badArgument(() => parseOpenClipConfig({ vision_cfg: {}, text_cfg: {} }), /embed_dim/);
    badArgument(() => parseOpenClipConfig({ embed_dim: 512, text_cfg: {} }), /vision_cfg/);
    badArgument(() => parseOpenClipConfig({ embed_dim: 512, vision_cfg: { width: 100, head_width: 64 }, text_cfg: {} }), /multiple of vision_cfg\.head_width/);
    badArgument(() => parseOpenClipConfig({ embed_dim: 512, vision_cfg: { image_size: 225 }, text_cfg: {} }), /multiple of vision_cfg\.patch_size/);
    badArgument(() => parseOpenClipConfig({ embed_dim: 512, vision_cfg: {}, text_cfg: { heads: 0 } }), /text_cfg\.heads must be a positive integer/);
    badArgument(() => parseOpenClipConfig({ embed_dim: 512, quick_gelu: 'yes', vision_cfg: {}, text_cfg: {} }), /quick_gelu must be true or false/);
  });
});
