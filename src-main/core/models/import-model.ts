/**
 * Importing an open_clip ViT checkpoint as an mslens model: convert it to ONNX (float32, the
 * reference; float16 for GPUs; int8 for CPU, checked against float32 on this machine) in a
 * staging folder, write its manifest, and only then move the folder into place, so a failed
 * or cancelled import leaves nothing half-installed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MslensError } from '../errors.ts';
import { MANIFEST_FILE, readManifest, type InstalledModel, type ModelManifest } from './manifest.ts';
import { profileForBands } from './model-catalogue.ts';
import { convertOpenClipCheckpoint, type ConvertOpenClipResult, type ConvertedEncoder } from './openclip/convert-checkpoint.ts';
import { checkInt8Variant } from './variant-check.ts';

export interface ImportModelOptions {
  checkpoint: string;
  /** open_clip model config (model_configs/*.json or open_clip_config.json), parsed JSON. */
  config: Record<string, unknown>;
  id: string;
  name?: string;
  description?: string;
  licence?: { id: string; url?: string };
  /** <data folder>/models */
  modelsDir: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
}

const ref = (e: ConvertedEncoder) => ({
  file: e.file, sha256: e.sha256, input: e.input, output: e.output,
  ...(e.dataFile ? { dataFile: { file: e.dataFile.file, sha256: e.dataFile.sha256 } } : {}),
});

export function clipManifest(opts: Pick<ImportModelOptions, 'id' | 'name' | 'description' | 'licence'>, c: ConvertOpenClipResult): ModelManifest {
  const profile = profileForBands(c.bands);
  if (!profile) {
    throw new MslensError('MODEL_LOAD_FAILED', `The checkpoint's image encoder takes ${c.bands} input channels; mslens knows 10-band MS-CLIP and 3-band RGB CLIP models.`, { bands: c.bands });
  }
  const image = c.imageEncoders.fp32;
  const text = c.textEncoders.fp32;
  if (!image || !text) throw new Error('the float32 encoders are the reference and must be converted');
  return {
    formatVersion: 1,
    id: opts.id,
    name: opts.name ?? opts.id,
    description: opts.description ?? `open_clip ViT converted by mslens (${c.bands} bands, embedding ${c.embedDim}).`,
    kind: 'clip',
    licence: opts.licence ?? { id: 'unknown' },
    bands: [...profile.bands],
    normalization: { mean: [...profile.mean], std: [...profile.std] },
    inputSize: c.imageSize,
    embeddingDim: c.embedDim,
    imageEncoder: {
      ...ref(image),
      variants: {
        ...(c.imageEncoders.fp16 ? { fp16: ref(c.imageEncoders.fp16) } : {}),
      },
    },
    textEncoder: { kind: 'clip-bpe', contextLength: c.contextLength, ...ref(text) },
    promptTemplates: [...profile.templates],
    logitScale: profile.logitScale,
  };
}

export async function importOpenClipModel(opts: ImportModelOptions): Promise<InstalledModel> {
  const staging = join(opts.modelsDir, `.staging-${opts.id}-${randomBytes(4).toString('hex')}`);
  const target = join(opts.modelsDir, opts.id);
  await mkdir(staging, { recursive: true });
  try {
    const converted = await convertOpenClipCheckpoint({
      source: opts.checkpoint,
      config: opts.config,
      outDir: staging,
      variants: ['fp32', 'fp16', 'int8'],
      signal: opts.signal,
      onProgress: (p) => opts.onProgress?.(p.done, p.total, `Converting to ONNX (${p.file})`),
    });
    let manifest = clipManifest(opts, converted);
    const int8 = converted.imageEncoders.int8;
    if (int8) {
      const check = await checkInt8Variant({ manifest, dir: staging, builtIn: false }, ref(int8), { signal: opts.signal, onProgress: opts.onProgress });
      manifest = { ...manifest, imageEncoder: { ...manifest.imageEncoder, variants: { ...manifest.imageEncoder.variants, int8: { ...ref(int8), check } } } };
    }
    await writeFile(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await readManifest(staging);
    const old = `${target}.old-${randomBytes(4).toString('hex')}`;
    await rename(target, old).catch(() => {});
    await rename(staging, target);
    await rm(old, { recursive: true, force: true });
    return { manifest, dir: target, builtIn: false };
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}
