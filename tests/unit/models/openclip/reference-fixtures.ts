/**
 * Test access to tests/fixtures (openclip-ref and msclip-examples), read in place.
 * Chips are preprocessed here, independently of the app's preprocessing module.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromFile } from 'geotiff';
import { FIXTURES } from '../../../helpers/fixtures.ts';

export { FIXTURES };
export const OPENCLIP_REF = join(FIXTURES, 'openclip-ref');
export const CHIPS = join(FIXTURES, 'msclip-examples');

export interface Expected {
  embed_dim: number;
  images: {
    file: string;
    preprocessed: { shape: number[]; sum: number; mean: number; per_channel_mean: number[]; pixel_0_0: number[]; pixel_row100_col57: number[] };
    embedding: number[];
    top1_zero_shot: string;
  }[];
  texts: { text: string; token_ids: number[]; argmax_index: number; embedding: number[] }[];
  raw_features: { image_feature: number[]; image_feature_norm: number; text_feature: number[]; text_feature_norm: number };
  zero_shot: { class_names: string[]; classifier: number[][]; logits: number[][]; probs: number[][] };
  retrieval: { query: string; query_token_ids: number[]; cosine_similarity: number[] };
}

export const readExpected = (): Expected => JSON.parse(readFileSync(join(OPENCLIP_REF, 'expected.json'), 'utf8')) as Expected;
export const readRefConfig = (): { open_clip_registered_config: Record<string, unknown>; resolved: Record<string, unknown> } =>
  JSON.parse(readFileSync(join(OPENCLIP_REF, 'config.json'), 'utf8'));
export const readTemplates = (): string[] =>
  (JSON.parse(readFileSync(join(FIXTURES, 'msclip-templates.json'), 'utf8')) as { templates: string[] }).templates;

/** MS-CLIP normalisation of B02 B03 B04 B05 B06 B07 B08 B8A B11 B12 (DESIGN.md). */
export const MSCLIP_MEAN = [925.161, 1183.128, 1338.041, 1667.254, 2233.633, 2460.96, 2555.569, 2619.542, 2406.497, 1841.645];
export const MSCLIP_STD = [1205.586, 1223.713, 1399.638, 1403.298, 1378.513, 1434.924, 1491.141, 1454.089, 1473.248, 1365.08];
/** Indices of the 10 model bands in the chips' 12 L2A bands (drop B01 and B09). */
const KEEP = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11];

/** A 224×224×12 chip → float32 [10, 224, 224]: (float32(x) − mean) / std, as upstream in float32. */
export async function preprocessChip(file: string): Promise<Float32Array> {
  const tiff = await fromFile(join(CHIPS, file));
  const image = await tiff.getImage();
  const rasters = (await image.readRasters({ interleave: false })) as unknown as ArrayLike<number>[];
  const n = image.getWidth() * image.getHeight();
  const out = new Float32Array(KEEP.length * n);
  KEEP.forEach((band, c) => {
    const src = rasters[band];
    const m = Math.fround(MSCLIP_MEAN[c]);
    const s = Math.fround(MSCLIP_STD[c]);
    for (let i = 0; i < n; i++) out[c * n + i] = Math.fround(Math.fround(src[i] - m) / s);
  });
  await tiff.close?.();
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb);
}

export const norm = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
