import type { WireError } from '../errors.ts';
import type { InstalledModel } from '../models/manifest.ts';
import type { ProviderName } from '../models/providers.ts';

export interface EmbedJob {
  scenePath: string;
  model: InstalledModel;
  providers: ProviderName[];
  size: number;
  stride: number;
  /** Tiles with a smaller valid-pixel fraction are skipped. */
  minValidFraction: number;
  threads?: number;
  precision?: 'auto' | 'fp32';
}

export type ToWorker = { type: 'start'; job: EmbedJob } | { type: 'cancel' };

export type FromWorker =
  | { type: 'started'; provider: ProviderName; fallbacks: { provider: ProviderName; reason: string }[]; precision: string; sha256: string; total: number; batchSize: number }
  | { type: 'progress'; done: number; total: number; skipped: number }
  | {
      type: 'done';
      /** Grid index (row × cols + col) of each embedded tile. */
      tiles: ArrayBuffer;
      valid: ArrayBuffer;
      embeddings: ArrayBuffer;
      dim: number;
      skipped: number;
    }
  | { type: 'failed'; error: WireError };
