/**
 * Models mslens knows how to install, and the input profiles of converted checkpoints. These
 * facts end up in each installed model's manifest; nothing else reads them.
 */
import { MODEL_BANDS } from '../scene/band-table.ts';
import type { SpectralBand } from '../scene/types.ts';
import { MSCLIP_TEMPLATES } from './msclip-templates.ts';
import { VIT_B_16_CONFIG } from './openclip/index.ts';

export interface InputProfile {
  bands: readonly SpectralBand[];
  /** In offset-free digital numbers (reflectance × 10000). */
  mean: readonly number[];
  std: readonly number[];
  templates: readonly string[];
  /** Zero-shot logits = scale · cosine. */
  logitScale: number;
}

/** Llama3-MS-CLIP: float32 DNs, no /10000 and no clipping; stats from IBM/MS-CLIP. */
export const MSCLIP_PROFILE: InputProfile = {
  bands: MODEL_BANDS,
  mean: [925.161, 1183.128, 1338.041, 1667.254, 2233.633, 2460.96, 2555.569, 2619.542, 2406.497, 1841.645],
  std: [1205.586, 1223.713, 1399.638, 1403.298, 1378.513, 1434.924, 1491.141, 1454.089, 1473.248, 1365.08],
  templates: MSCLIP_TEMPLATES,
  logitScale: 100,
};

/**
 * RGB CLIP baselines (OpenAI/open_clip ViTs): true colour from B04 B03 B02, reflectance scaled
 * by 2.5 to the 0…1 range of an 8-bit photo, then CLIP's own mean and std, all folded into DNs.
 */
const RGB_GAIN = 2.5;
export const RGB_CLIP_PROFILE: InputProfile = {
  bands: ['B04', 'B03', 'B02'],
  mean: [0.48145466, 0.4578275, 0.40821073].map((m) => (m * 10000) / RGB_GAIN),
  std: [0.26862954, 0.26130258, 0.27577711].map((s) => (s * 10000) / RGB_GAIN),
  templates: MSCLIP_TEMPLATES,
  logitScale: 100,
};

export function profileForBands(count: number): InputProfile | null {
  if (count === MSCLIP_PROFILE.bands.length) return MSCLIP_PROFILE;
  if (count === 3) return RGB_CLIP_PROFILE;
  return null;
}

export interface CatalogueEntry {
  id: string;
  name: string;
  description: string;
  url: string;
  fileName: string;
  /** Expected sha256 when pinned; otherwise the server's declared hash (X-Linked-Etag) is checked. */
  sha256?: string;
  bytes?: number;
  config: Record<string, unknown>;
  licence: { id: string; url: string; summary: string };
}

export const CATALOGUE: readonly CatalogueEntry[] = [
  {
    id: 'llama3-ms-clip',
    name: 'Llama3-MS-CLIP ViT-B/16',
    description: 'IBM/ESA multispectral CLIP (arXiv 2503.15969): open-vocabulary search and zero-shot classification on 10 Sentinel-2 bands.',
    url: 'https://huggingface.co/ibm-esa-geospatial/Llama3-MS-CLIP-base/resolve/main/Llama3_MS_CLIP_weights.pt',
    fileName: 'Llama3_MS_CLIP_weights.pt',
    bytes: 604_000_000,
    config: VIT_B_16_CONFIG as unknown as Record<string, unknown>,
    licence: {
      id: 'llama3',
      url: 'https://llama.meta.com/llama3/license/',
      summary: 'Llama3-MS-CLIP is distributed under the Meta Llama 3 Community License. You may use, reproduce and modify it, subject to the licence terms, including its Acceptable Use Policy and attribution ("Built with Meta Llama 3"); services with more than 700 million monthly active users need a separate licence from Meta. Read the full text before accepting.',
    },
  },
];

const HUGGING_FACE = 'https://huggingface.co';

/**
 * Where an entry is downloaded from. HF_ENDPOINT, the variable huggingface_hub reads, points
 * Hugging Face addresses at a mirror.
 */
export function catalogueUrl(entry: CatalogueEntry, env: NodeJS.ProcessEnv = process.env): string {
  const mirror = env.HF_ENDPOINT?.trim().replace(/\/+$/, '');
  return mirror && entry.url.startsWith(`${HUGGING_FACE}/`) ? mirror + entry.url.slice(HUGGING_FACE.length) : entry.url;
}

export function catalogueEntry(id: string): CatalogueEntry | undefined {
  return CATALOGUE.find((e) => e.id === id);
}
