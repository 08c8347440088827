import { join } from 'node:path';
import ort from './onnx/runtime.ts';
import { MslensError } from '../errors.ts';
import { imageEncoderFor, type ImagePrecision, type InstalledModel } from './manifest.ts';
import { openSession, type OpenedSession, type ProviderName, type SessionFactory } from './providers.ts';

export interface ImageEncoder {
  readonly modelId: string;
  readonly provider: ProviderName;
  readonly fallbacks: { provider: ProviderName; reason: string }[];
  /** Which variant runs, and its file hash (recorded in indexes). */
  readonly precision: ImagePrecision;
  readonly sha256: string;
  /** pixels: n × bands × size × size, preprocessed. Returns n × embeddingDim unit vectors. */
  embed(pixels: Float32Array, n: number, size: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export async function openImageEncoder(
  model: InstalledModel,
  providers: readonly ProviderName[],
  opts: { threads?: number; factory?: SessionFactory; precision?: 'auto' | 'fp32' } = {},
): Promise<ImageEncoder> {
  const { manifest } = model;
  // Each provider gets the variant that suits it, so fall back provider by provider.
  const fallbacks: OpenedSession['fallbacks'] = [];
  let opened: (OpenedSession & { precision: ImagePrecision; sha256: string }) | undefined;
  for (const p of providers) {
    const { precision, ref } = imageEncoderFor(manifest, p, opts.precision);
    const path = join(model.dir, ref.file);
    try {
      opened = { ...(await openSession(path, [p], opts)), precision, sha256: ref.sha256 };
      break;
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0];
      if (p === 'cpu' || p === providers.at(-1)) {
        throw new MslensError('MODEL_LOAD_FAILED', `ONNX Runtime could not load ${manifest.name} (${reason}). Reinstall the model.`, { model: manifest.id, path }, { cause: err });
      }
      fallbacks.push({ provider: p, reason });
    }
  }
  if (!opened) throw new MslensError('MODEL_LOAD_FAILED', `No execution provider could run ${manifest.name}.`, { model: manifest.id });
  const { session, provider, precision, sha256 } = opened;
  const bands = manifest.bands.length;
  return {
    modelId: manifest.id,
    provider,
    fallbacks,
    precision,
    sha256,
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
