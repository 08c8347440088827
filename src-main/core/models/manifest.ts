/**
 * Model manifests: everything the app knows about a model comes from here, never from code.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { MslensError } from '../errors.ts';

const BandId = z.enum(['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B10', 'B11', 'B12']);
const FileRef = z.object({ file: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
const OnnxRef = FileRef.extend({
  input: z.string().min(1),
  output: z.string().min(1),
  /** External weight file next to the .onnx, if any. */
  dataFile: FileRef.optional(),
});
/**
 * Other precisions of the image encoder. fp16 is preferred on a GPU; int8 (dynamic
 * quantisation) on CPU, but only when `check` shows it agrees with the float32 reference.
 */
const VariantCheck = z.object({ top1Agreement: z.number(), minCosine: z.number(), tiles: z.number().int(), passed: z.boolean() });
/**
 * The int8 check: the figures over all tiles (the smaller of the sources' agreement and
 * cosine), `passed` only when every source passed, and each source's own figures: the real
 * Sentinel-2 chips shipped with the app and the demo scene (absent in manifests written
 * before the check covered real imagery).
 */
const Int8CheckSchema = VariantCheck.extend({
  sources: z.object({ realChips: VariantCheck, demoScene: VariantCheck }).optional(),
});
const ImageVariants = z.object({
  fp16: OnnxRef.optional(),
  int8: OnnxRef.extend({ check: Int8CheckSchema.optional() }).optional(),
});
export type Int8Check = z.infer<typeof Int8CheckSchema>;

export const ManifestSchema = z.object({
  formatVersion: z.literal(1),
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'ids are lower-case letters, digits, ".", "_" and "-"'),
  name: z.string().min(1),
  description: z.string().default(''),
  kind: z.enum(['spectral', 'clip']),
  licence: z.object({ id: z.string().min(1), url: z.string().optional(), file: z.string().optional() }),
  /** Sentinel-2 bands the image encoder reads, in input order. */
  bands: z.array(BandId).min(1),
  /** Applied to offset-free digital numbers (reflectance × 10000): (x − mean) / std. */
  normalization: z.object({ mean: z.array(z.number()), std: z.array(z.number().positive()) }),
  /** Edge of the square input in pixels; null means any tile size works. */
  inputSize: z.number().int().positive().nullable(),
  embeddingDim: z.number().int().positive(),
  /** The float32 image encoder: the reference every variant is checked against. */
  imageEncoder: OnnxRef.extend({ variants: ImageVariants.optional() }),
  textEncoder: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('lexicon'), ...FileRef.shape }),
    z.object({ kind: z.literal('clip-bpe'), contextLength: z.number().int().positive(), ...OnnxRef.shape }),
  ]),
  /** Zero-shot prompt templates with {c} for the class name; empty means the class name alone. */
  promptTemplates: z.array(z.string()).default([]),
  /** logits = logitScale · cosine, as in CLIP zero-shot classification. */
  logitScale: z.number().positive(),
  /** Names of the embedding dimensions, for models whose dimensions are concepts. */
  concepts: z.array(z.string()).optional(),
}).superRefine((m, ctx) => {
  if (m.normalization.mean.length !== m.bands.length || m.normalization.std.length !== m.bands.length) {
    ctx.addIssue({ code: 'custom', message: `normalization needs one mean and std per band (${m.bands.length})` });
  }
  if (m.concepts && m.concepts.length !== m.embeddingDim) {
    ctx.addIssue({ code: 'custom', message: 'concepts must name every embedding dimension' });
  }
});

export type ModelManifest = z.infer<typeof ManifestSchema>;

export interface InstalledModel {
  manifest: ModelManifest;
  /** Folder that holds manifest.json and the files it names. */
  dir: string;
  /** Shipped with the app, as opposed to installed into the data folder. */
  builtIn: boolean;
}

export const MANIFEST_FILE = 'manifest.json';

export async function readManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new MslensError('MODEL_LOAD_FAILED', `The model manifest ${path} could not be read (${(err as Error).message}). Reinstall the model.`, { path }, { cause: err });
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MslensError('MODEL_LOAD_FAILED', `The model manifest ${path} is invalid: ${issue.path.join('.') || 'manifest'}: ${issue.message}. Reinstall the model.`, { path });
  }
  return parsed.data;
}

export type OnnxFileRef = z.infer<typeof OnnxRef>;
export type ImagePrecision = 'fp32' | 'fp16' | 'int8';

/** Every file a manifest names, with its expected hash. */
export function manifestFiles(m: ModelManifest): { file: string; sha256: string }[] {
  const v = m.imageEncoder.variants;
  const onnx = [m.imageEncoder, v?.fp16, v?.int8, m.textEncoder.kind === 'clip-bpe' ? m.textEncoder : undefined];
  const refs = [...onnx.flatMap((r) => (r && 'dataFile' in r ? [r, r.dataFile] : [r])), m.textEncoder];
  const seen = new Set<string>();
  return refs
    .filter((r): r is { file: string; sha256: string } => !!r)
    .filter((r) => (seen.has(r.file) ? false : (seen.add(r.file), true)))
    .map(({ file, sha256 }) => ({ file, sha256 }));
}

/**
 * The image encoder to run on a provider: fp16 on a GPU when present, int8 on CPU when it
 * passed its agreement check, float32 otherwise.
 */
export function imageEncoderFor(m: ModelManifest, provider: string, preference: 'auto' | 'fp32' = 'auto'): { precision: ImagePrecision; ref: OnnxFileRef } {
  const v = preference === 'fp32' ? undefined : m.imageEncoder.variants;
  if (provider !== 'cpu' && v?.fp16) return { precision: 'fp16', ref: v.fp16 };
  if (provider === 'cpu' && v?.int8?.check?.passed) return { precision: 'int8', ref: v.int8 };
  return { precision: 'fp32', ref: m.imageEncoder };
}

/** Hashes of every image-encoder file an index may have been built with. */
export function imageEncoderHashes(m: ModelManifest): string[] {
  const v = m.imageEncoder.variants;
  return [m.imageEncoder.sha256, v?.fp16?.sha256, v?.int8?.sha256].filter((h): h is string => !!h);
}
