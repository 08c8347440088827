/**
 * Writes the built-in spectral model's folder: manifest.json, image-encoder.onnx and
 * lexicon.json. Deterministic, so the same source gives byte-identical files.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, type ModelManifest } from '../manifest.ts';
import { buildSpectralGraph } from './spectral-graph.ts';
import { SPECTRAL_LEXICON } from './spectral-lexicon.ts';
import { SPECTRAL_CONCEPTS } from './spectral-prototypes.ts';

export const SPECTRAL_MODEL_ID = 'mslens-spectral';
/** The same ten bands, in the same order, as Llama3-MS-CLIP, so one tile read serves both. */
const BANDS = ['B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B11', 'B12'] as const;

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export async function writeSpectralModel(dir: string): Promise<ModelManifest> {
  await mkdir(dir, { recursive: true });
  const onnx = buildSpectralGraph({ bands: BANDS });
  const lexicon = `${JSON.stringify(SPECTRAL_LEXICON, null, 2)}\n`;
  const manifest: ModelManifest = {
    formatVersion: 1,
    id: SPECTRAL_MODEL_ID,
    name: 'Built-in spectral model',
    description: 'Land-cover concept fractions from spectral indices (NDVI, MNDWI/NDSI, NDBI, NBR, brightness). Answers concept queries only; open-vocabulary search needs Llama3-MS-CLIP.',
    kind: 'spectral',
    licence: { id: 'Apache-2.0' },
    bands: [...BANDS],
    normalization: { mean: BANDS.map(() => 0), std: BANDS.map(() => 10000) },
    inputSize: null,
    embeddingDim: SPECTRAL_CONCEPTS.length,
    imageEncoder: { file: 'image-encoder.onnx', sha256: sha(onnx), input: 'pixels', output: 'embedding' },
    textEncoder: { kind: 'lexicon', file: 'lexicon.json', sha256: sha(lexicon) },
    promptTemplates: [],
    logitScale: 10,
    concepts: [...SPECTRAL_CONCEPTS],
  };
  await writeAtomic(join(dir, 'image-encoder.onnx'), onnx);
  await writeAtomic(join(dir, 'lexicon.json'), lexicon);
  await writeAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
