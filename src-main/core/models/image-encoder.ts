import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { MslensError } from '../errors.ts';
import type { InstalledModel } from './manifest.ts';
import { openSession, type ProviderName, type SessionFactory } from './providers.ts';

export interface ImageEncoder {
  readonly modelId: string;
  readonly provider: ProviderName;
  readonly fallbacks: { provider: ProviderName; reason: string }[];
  /** pixels: n × bands × size × size, preprocessed. Returns n × embeddingDim unit vectors. */
  embed(pixels: Float32Array, n: number, size: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export async function openImageEncoder(
  model: InstalledModel,
  providers: readonly ProviderName[],
  opts: { threads?: number; factory?: SessionFactory } = {},
): Promise<ImageEncoder> {
  const { manifest } = model;
  const path = join(model.dir, manifest.imageEncoder.file);
  let opened;
  try {
    opened = await openSession(path, providers, opts);
  } catch (err) {
    throw new MslensError('MODEL_LOAD_FAILED', `ONNX Runtime could not load ${manifest.name} (${(err as Error).message.split('\n')[0]}). Reinstall the model.`, { model: manifest.id, path }, { cause: err });
  }
  const { session, provider, fallbacks } = opened;
  const bands = manifest.bands.length;
  return {
    modelId: manifest.id,
    provider,
    fallbacks,
    async embed(pixels, n, size) {
      const input = new ort.Tensor('float32', pixels.subarray(0, n * bands * size * size), [n, bands, size, size]);
      const out = await session.run({ [manifest.imageEncoder.input]: input }, [manifest.imageEncoder.output]);
      const data = out[manifest.imageEncoder.output].data as Float32Array;
      input.dispose?.();
      return data.slice(0, n * manifest.embeddingDim);
    },
    close: () => session.release(),
  };
}
