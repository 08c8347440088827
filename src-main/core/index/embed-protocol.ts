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
  /** Tiles with a larger SCL cloud fraction are skipped; scenes without SCL skip none. */
  maxCloudFraction: number;
  threads?: number;
  precision?: 'auto' | 'fp32';
}

/** Single tile-sized images (`embed image`), each embedded whole: one embedding per file. */
export interface ImageFilesJob {
  files: string[];
  model: InstalledModel;
  providers: ProviderName[];
  threads?: number;
  precision?: 'auto' | 'fp32';
}

export type ToWorker = { type: 'start'; job: EmbedJob } | { type: 'images'; job: ImageFilesJob } | { type: 'cancel' };

export type FromWorker =
  | { type: 'started'; provider: ProviderName; fallbacks: { provider: ProviderName; reason: string }[]; precision: string; sha256: string; total: number; batchSize: number }
  | { type: 'progress'; done: number; total: number; skippedNodata: number; skippedCloudy: number }
  | {
      type: 'done';
      /** Grid index (row × cols + col) of each embedded tile. */
      tiles: ArrayBuffer;
      valid: ArrayBuffer;
      /** Float32, MASK_COUNT per embedded tile (cloud, shadow, snow, nodata); NaN without SCL. */
      fractions: ArrayBuffer;
      embeddings: ArrayBuffer;
      dim: number;
      /** The scene has an SCL layer, so the fractions are known. */
      masks: boolean;
      skippedNodata: number;
      skippedCloudy: number;
    }
  /** The end of an `images` job: files.length × dim float32, in file order. */
  | { type: 'images-done'; embeddings: ArrayBuffer; dim: number }
  | { type: 'failed'; error: WireError };
