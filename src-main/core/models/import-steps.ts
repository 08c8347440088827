/**
 * What the import worker does, step by step, inside the staging folder: convert the checkpoint
 * to ONNX (float32, the reference; float16 for GPUs; int8 for CPU), check the int8 image encoder
 * against float32 on this machine (real chips and the demo scene), and write the manifest. The text encoder is written in
 * float32 only: it runs on CPU once per query (clip-text-encoder.ts), so a float16 copy would
 * be 127 MB that nothing reads.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MslensError } from '../errors.ts';
import type { ImportJob, ImportStep } from './import-protocol.ts';
import { MANIFEST_FILE, type ModelManifest } from './manifest.ts';
import { profileForBands } from './model-catalogue.ts';
import { convertOpenClipCheckpoint, type ConvertOpenClipResult, type ConvertedEncoder } from './openclip/convert-checkpoint.ts';
import { checkInt8Variant } from './variant-check.ts';

export interface ImportStepsOptions {
  signal?: AbortSignal;
  onProgress?: (step: ImportStep, message: string, done: number, total: number) => void;
}

const ref = (e: ConvertedEncoder) => ({
  file: e.file, sha256: e.sha256, input: e.input, output: e.output,
  ...(e.dataFile ? { dataFile: { file: e.dataFile.file, sha256: e.dataFile.sha256 } } : {}),
});

export function clipManifest(opts: Pick<ImportJob, 'id' | 'name' | 'description' | 'licence'>, c: ConvertOpenClipResult): ModelManifest {
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

/** Runs the three steps into `job.staging`; returns the manifest it wrote there. */
export async function runImportSteps(job: ImportJob, opts: ImportStepsOptions = {}): Promise<ModelManifest> {
  const { signal } = opts;
  const converted = await convertOpenClipCheckpoint({
    source: job.checkpoint,
    config: job.config,
    outDir: job.staging,
    variants: ['fp32', 'fp16', 'int8'],
    textVariants: ['fp32'],
    signal,
    onProgress: (p) => opts.onProgress?.('convert', `Converting to ONNX (${p.phase === 'writing' ? 'writing ' : ''}${p.file})`, p.done, p.total),
  });
  let manifest = clipManifest(job, converted);
  const int8 = converted.imageEncoders.int8;
  if (int8) {
    const check = await checkInt8Variant({ manifest, dir: job.staging, builtIn: false }, ref(int8), {
      signal,
      onProgress: (done, total, message) => opts.onProgress?.('check', message, done, total),
    });
    manifest = { ...manifest, imageEncoder: { ...manifest.imageEncoder, variants: { ...manifest.imageEncoder.variants, int8: { ...ref(int8), check } } } };
  }
  opts.onProgress?.('write', 'Writing the model manifest', 0, 1);
  await writeFile(join(job.staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  opts.onProgress?.('write', 'Writing the model manifest', 1, 1);
  return manifest;
}
