/**
 * `embed image`: single tile-sized images embedded whole, in the embedding worker (the same
 * worker that indexes scenes), so opening the encoder and preprocessing never hold up the
 * thread that serves the UI. Progress is per file; cancel stops between files.
 */
import { fromWireError, MslensError } from '../errors.ts';
import type { InstalledModel } from '../models/manifest.ts';
import type { ProviderName } from '../models/providers.ts';
import { runWorkerJob } from '../worker-spawn.ts';
import type { FromWorker, ToWorker } from './embed-protocol.ts';

export interface EmbedImageFilesOptions {
  files: string[];
  model: InstalledModel;
  providers: ProviderName[];
  threads?: number;
  precision?: 'auto' | 'fp32';
  /** Files embedded so far. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface EmbeddedImages {
  /** files.length × dim unit vectors, in file order. */
  embeddings: Float32Array;
  dim: number;
  provider: ProviderName;
}

const cancelled = (): MslensError => new MslensError('CANCELLED', 'Embedding the images was cancelled.');

export function embedImageFiles(opts: EmbedImageFilesOptions): Promise<EmbeddedImages> {
  const { files, model, providers, threads, precision } = opts;
  let provider: ProviderName = 'cpu';
  return runWorkerJob<FromWorker, EmbeddedImages>(new URL('./embed-worker.ts', import.meta.url), { type: 'images', job: { files, model, providers, threads, precision } } satisfies ToWorker, {
    name: 'embedding worker',
    cancelled,
    signal: opts.signal,
    onMessage(msg, done, fail) {
      switch (msg.type) {
        case 'started':
          provider = msg.provider;
          opts.onProgress?.(0, msg.total);
          break;
        case 'progress':
          opts.onProgress?.(msg.done, msg.total);
          break;
        case 'images-done':
          done({ embeddings: new Float32Array(msg.embeddings), dim: msg.dim, provider });
          break;
        case 'failed':
          fail(msg.error.code === 'CANCELLED' ? cancelled() : fromWireError(msg.error));
          break;
        default:
          fail(new MslensError('INTERNAL', `The embedding worker answered an images job with "${msg.type}".`));
      }
    },
  });
}
