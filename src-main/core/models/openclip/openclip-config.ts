/**
 * The open_clip model config (model_configs/*.json, or a Hugging Face `open_clip_config.json`
 * that wraps it in `model_cfg`), parsed and checked for what the converter supports: a ViT
 * image tower with class-token pooling and the standard CLIP text tower.
 */
import { MslensError } from '../../errors.ts';

export interface VisionConfig {
  imageSize: number;
  patchSize: number;
  width: number;
  layers: number;
  /** width / head_width. */
  heads: number;
  headWidth: number;
  /** Hidden width of the MLP: round(width × mlp_ratio). */
  mlpWidth: number;
  /** false when the config sets `no_ln_pre`. */
  lnPre: boolean;
}

export interface TextConfig {
  contextLength: number;
  vocabSize: number;
  width: number;
  heads: number;
  layers: number;
  mlpWidth: number;
  /** false when the config sets `no_causal_mask`. */
  causalMask: boolean;
}

export interface OpenClipConfig {
  embedDim: number;
  /** QuickGELU (x·σ(1.702x)) instead of the exact erf GELU. */
  quickGelu: boolean;
  vision: VisionConfig;
  text: TextConfig;
}

/** open_clip's ViT-B-16, the base of Llama3-MS-CLIP. */
export const VIT_B_16_CONFIG = {
  embed_dim: 512,
  vision_cfg: { image_size: 224, layers: 12, width: 768, patch_size: 16 },
  text_cfg: { context_length: 77, vocab_size: 49408, width: 512, heads: 8, layers: 12 },
} as const;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(message: string, detail: Record<string, string | number> = {}): never {
  throw new MslensError('BAD_ARGUMENT', message, detail);
}

/**
 * Upper bounds far above any CLIP model (ViT-bigG: 48 layers, width 1664, image 224; text
 * context 77, vocabulary 49408), so a config with absurd numbers is refused before anything
 * is sized from them. The checkpoint's own tensors are checked against the config next
 * (openclip-weights.ts).
 */
export const CONFIG_LIMITS: Record<string, number> = {
  layers: 256, width: 16384, head_width: 16384, heads: 1024, embed_dim: 16384,
  image_size: 4096, patch_size: 4096, context_length: 16384, vocab_size: 1_000_000,
};

function posInt(obj: Json, key: string, where: string, fallback?: number): number {
  const v = obj[key] ?? fallback;
  if (v === undefined) fail(`The open_clip config has no ${where}.${key}. Use the model's open_clip config (model_configs/<name>.json or open_clip_config.json).`, { field: `${where}.${key}` });
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(`The open_clip config's ${where}.${key} must be a positive integer, not ${JSON.stringify(v)}.`, { field: `${where}.${key}` });
  const max = CONFIG_LIMITS[key];
  if (max !== undefined && v > max) fail(`The open_clip config's ${where}.${key} is ${v}, more than any CLIP model has (at most ${max}). Use the config that belongs to this checkpoint.`, { field: `${where}.${key}` });
  return v;
}

function posNumber(obj: Json, key: string, where: string, fallback: number): number {
  const v = obj[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 64) fail(`The open_clip config's ${where}.${key} must be a positive number up to 64, not ${JSON.stringify(v)}.`, { field: `${where}.${key}` });
  return v;
}

function bool(obj: Json, key: string, where: string, fallback: boolean): boolean {
  const v = obj[key] ?? fallback;
  if (typeof v !== 'boolean') fail(`The open_clip config's ${where}.${key} must be true or false, not ${JSON.stringify(v)}.`, { field: `${where}.${key}` });
  return v;
}

/** Fields whose non-default value selects an architecture the converter cannot build. */
interface Unsupported {
  key: string;
  /** true when the value is the supported default */
  ok: (v: unknown) => boolean;
  what: string;
}

const isFalsy = (v: unknown): boolean => v === undefined || v === null || v === false;
const isNullish = (v: unknown): boolean => v === undefined || v === null;

const COMMON_UNSUPPORTED: Unsupported[] = [
  { key: 'ls_init_value', ok: isNullish, what: 'LayerScale (ls_init_value)' },
  { key: 'act_kwargs', ok: isNullish, what: 'custom activation arguments (act_kwargs)' },
  { key: 'norm_kwargs', ok: isNullish, what: 'custom normalisation arguments (norm_kwargs)' },
  { key: 'block_type', ok: (v) => isNullish(v) || v === 'default', what: `block_type other than 'default'` },
  { key: 'qk_norm', ok: isFalsy, what: 'q/k normalisation (qk_norm)' },
  { key: 'scaled_cosine_attn', ok: isFalsy, what: 'scaled cosine attention' },
  { key: 'scale_heads', ok: isFalsy, what: 'per-head scaling (scale_heads)' },
  { key: 'scale_attn_inner', ok: isFalsy, what: 'scale_attn_inner' },
  { key: 'scale_attn', ok: isFalsy, what: 'scale_attn' },
  { key: 'scale_fc', ok: isFalsy, what: 'scale_fc' },
];

const VISION_UNSUPPORTED: Unsupported[] = [
  ...COMMON_UNSUPPORTED,
  { key: 'timm_model_name', ok: isNullish, what: 'a timm image tower (timm_model_name)' },
  { key: 'attentional_pool', ok: isFalsy, what: 'attentional pooling (attentional_pool)' },
  { key: 'pool_type', ok: (v) => isNullish(v) || v === 'tok', what: `image pooling other than 'tok' (class token)` },
  { key: 'pos_embed_type', ok: (v) => isNullish(v) || v === 'learnable', what: `positional embeddings other than 'learnable'` },
  { key: 'input_patchnorm', ok: isFalsy, what: 'input patch normalisation (input_patchnorm)' },
  { key: 'global_average_pool', ok: isFalsy, what: 'global average pooling' },
];

const TEXT_UNSUPPORTED: Unsupported[] = [
  ...COMMON_UNSUPPORTED,
  { key: 'hf_model_name', ok: isNullish, what: 'a Hugging Face text tower (hf_model_name)' },
  { key: 'embed_cls', ok: isFalsy, what: 'a text class token (embed_cls)' },
  { key: 'pool_type', ok: (v) => isNullish(v) || v === 'argmax', what: `text pooling other than 'argmax' (end token)` },
  { key: 'proj_type', ok: (v) => isNullish(v) || v === 'linear', what: `a text projection other than 'linear'` },
  { key: 'proj_bias', ok: isFalsy, what: 'a text projection bias (proj_bias)' },
];

function rejectUnsupported(obj: Json, where: string, rules: Unsupported[]): void {
  for (const r of rules) {
    const v = obj[r.key];
    if (!r.ok(v)) {
      fail(`This open_clip model uses ${r.what} (${where}.${r.key} = ${JSON.stringify(v)}), which mslens cannot convert. Only plain ViT CLIP models (like ViT-B-16) are supported.`, { field: `${where}.${r.key}` });
    }
  }
}

/**
 * Parses an open_clip model config. Accepts the model config itself or a Hugging Face
 * `open_clip_config.json` (`{ model_cfg, preprocess_cfg }`). Throws BAD_ARGUMENT with a
 * message naming the field when something is missing or unsupported.
 */
export function parseOpenClipConfig(raw: unknown): OpenClipConfig {
  if (!isObject(raw)) fail('The open_clip config must be a JSON object.');
  const cfg = isObject(raw.model_cfg) ? raw.model_cfg : raw;
  if (cfg.custom_text === true) fail('This open_clip model uses a custom text tower (custom_text), which mslens cannot convert.', { field: 'custom_text' });
  if (!isNullish(cfg.init_logit_bias)) fail('This is a SigLIP-style model (init_logit_bias); mslens only converts CLIP models.', { field: 'init_logit_bias' });
  const embedDim = posInt(cfg, 'embed_dim', 'config');
  const quickGelu = bool(cfg, 'quick_gelu', 'config', false);
  const v = cfg.vision_cfg;
  const t = cfg.text_cfg;
  if (!isObject(v)) fail('The open_clip config has no vision_cfg object.', { field: 'vision_cfg' });
  if (!isObject(t)) fail('The open_clip config has no text_cfg object.', { field: 'text_cfg' });
  if (Array.isArray(v.layers)) fail('This open_clip model has a ResNet image tower (vision_cfg.layers is a list); mslens only converts ViT models.', { field: 'vision_cfg.layers' });
  rejectUnsupported(v, 'vision_cfg', VISION_UNSUPPORTED);
  rejectUnsupported(t, 'text_cfg', TEXT_UNSUPPORTED);

  const width = posInt(v, 'width', 'vision_cfg', 768);
  const headWidth = posInt(v, 'head_width', 'vision_cfg', 64);
  if (width % headWidth !== 0) fail(`vision_cfg.width (${width}) is not a multiple of vision_cfg.head_width (${headWidth}).`, { field: 'vision_cfg.head_width' });
  const imageSize = posInt(v, 'image_size', 'vision_cfg', 224);
  const patchSize = posInt(v, 'patch_size', 'vision_cfg', 16);
  if (imageSize % patchSize !== 0) fail(`vision_cfg.image_size (${imageSize}) is not a multiple of vision_cfg.patch_size (${patchSize}).`, { field: 'vision_cfg.patch_size' });
  const vision: VisionConfig = {
    imageSize,
    patchSize,
    width,
    layers: posInt(v, 'layers', 'vision_cfg', 12),
    heads: width / headWidth,
    headWidth,
    mlpWidth: Math.trunc(width * posNumber(v, 'mlp_ratio', 'vision_cfg', 4)),
    lnPre: !bool(v, 'no_ln_pre', 'vision_cfg', false),
  };

  const tWidth = posInt(t, 'width', 'text_cfg', 512);
  const tHeads = posInt(t, 'heads', 'text_cfg', 8);
  if (tWidth % tHeads !== 0) fail(`text_cfg.width (${tWidth}) is not a multiple of text_cfg.heads (${tHeads}).`, { field: 'text_cfg.heads' });
  const text: TextConfig = {
    contextLength: posInt(t, 'context_length', 'text_cfg', 77),
    vocabSize: posInt(t, 'vocab_size', 'text_cfg', 49408),
    width: tWidth,
    heads: tHeads,
    layers: posInt(t, 'layers', 'text_cfg', 12),
    mlpWidth: Math.trunc(tWidth * posNumber(t, 'mlp_ratio', 'text_cfg', 4)),
    causalMask: !bool(t, 'no_causal_mask', 'text_cfg', false),
  };
  return { embedDim, quickGelu, vision, text };
}
