/**
 * The text encoder of CLIP models: open_clip's BPE tokenizer (77 tokens) and the converted
 * ONNX text tower, float32 on CPU (a query is one short forward pass).
 */
import { join } from 'node:path';
import ort from './onnx/runtime.ts';
import { MslensError } from '../errors.ts';
import type { InstalledModel } from './manifest.ts';
import { openSession } from './providers.ts';
import type { TextEncoder } from './text-encoder.ts';
import { createClipTokenizer } from './tokenizer/index.ts';

/** Prompts per forward pass; 50 templates × a class fit in one. */
const BATCH = 64;

export async function openClipTextEncoder(model: InstalledModel): Promise<TextEncoder> {
  const { manifest } = model;
  if (manifest.textEncoder.kind !== 'clip-bpe') throw new Error('not a CLIP text encoder');
  const te = manifest.textEncoder;
  const tokenizer = createClipTokenizer();
  let session: ort.InferenceSession;
  try {
    ({ session } = await openSession(join(model.dir, te.file), ['cpu']));
  } catch (err) {
    throw new MslensError('MODEL_LOAD_FAILED', `ONNX Runtime could not load the text encoder of ${manifest.name} (${(err as Error).message.split('\n')[0]}). Reinstall the model.`, { model: manifest.id }, { cause: err });
  }
  const dim = manifest.embeddingDim;
  const ctx = te.contextLength;
  return {
    modelId: manifest.id,
    tokenize: (texts) => tokenizer.tokenize([...texts], ctx),
    async embed(texts) {
      const out = new Float32Array(texts.length * dim);
      for (let start = 0; start < texts.length; start += BATCH) {
        const part = texts.slice(start, start + BATCH);
        const ids = tokenizer.tokenize([...part], ctx);
        const tokens = new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [part.length, ctx]);
        const res = await session.run({ [te.input]: tokens }, [te.output]);
        out.set((res[te.output].data as Float32Array).subarray(0, part.length * dim), start * dim);
      }
      return out;
    },
    close: () => session.release(),
  };
}
