/**
 * Text encoders turn queries and class prompts into unit vectors in the image-embedding space.
 * The built-in model's is a lexicon; CLIP models use a BPE tokenizer and an ONNX graph.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MslensError } from '../errors.ts';
import type { InstalledModel } from './manifest.ts';
import { openClipTextEncoder } from './clip-text-encoder.ts';
import { conceptsOf } from './spectral/spectral-lexicon.ts';

export interface TextEncoder {
  readonly modelId: string;
  /** n × embeddingDim unit vectors; throws QUERY_NOT_UNDERSTOOD for text the model cannot embed. */
  embed(texts: readonly string[]): Promise<Float32Array>;
  /** Token ids (n × context length) for models that tokenize. */
  tokenize?(texts: readonly string[]): Int32Array;
  close(): Promise<void>;
}

export const OPEN_VOCABULARY_HINT = 'Open-vocabulary search needs the Llama3-MS-CLIP model.';

async function openLexiconEncoder(model: InstalledModel): Promise<TextEncoder> {
  const { manifest } = model;
  const concepts = manifest.concepts ?? [];
  const lexicon = JSON.parse(await readFile(join(model.dir, manifest.textEncoder.file), 'utf8')) as Record<string, string[]>;
  return {
    modelId: manifest.id,
    async embed(texts) {
      const out = new Float32Array(texts.length * manifest.embeddingDim);
      texts.forEach((text, i) => {
        const found = conceptsOf(text, lexicon);
        if (!found) {
          throw new MslensError('QUERY_NOT_UNDERSTOOD',
            `"${text}" is not something the built-in spectral model can search for: it knows ${concepts.join(', ')} (and synonyms such as lake, woods, farmland, town, sand, glacier). ${OPEN_VOCABULARY_HINT}`,
            { text, model: manifest.id }, { action: { kind: 'install-model', model: 'llama3-ms-clip' } });
        }
        const w = 1 / Math.sqrt(found.length);
        for (const c of found) out[i * manifest.embeddingDim + concepts.indexOf(c)] = w;
      });
      return out;
    },
    close: async () => {},
  };
}

export type TextEncoderFactory = (model: InstalledModel) => Promise<TextEncoder>;

/** By text-encoder kind, so a model family plugs in without touching callers. */
const factories: Record<string, TextEncoderFactory> = { lexicon: openLexiconEncoder, 'clip-bpe': openClipTextEncoder };

export async function openTextEncoder(model: InstalledModel): Promise<TextEncoder> {
  const factory = factories[model.manifest.textEncoder.kind];
  if (!factory) {
    throw new MslensError('MODEL_LOAD_FAILED', `This version of mslens cannot run ${model.manifest.name}'s text encoder (${model.manifest.textEncoder.kind}). Update mslens.`, { model: model.manifest.id });
  }
  return factory(model);
}
