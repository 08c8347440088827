/** Messages between core/app/scene-preview.ts and the worker that writes a preview. */
import type { WireError } from '../errors.ts';
import type { PreviewOptions } from './preview-build.ts';

export interface PreviewJob extends PreviewOptions {
  scenePath: string;
  /** Where the worker writes the finished file (renamed into the cache by the caller). */
  outPath: string;
}

export type ToPreviewWorker = { type: 'start'; job: PreviewJob } | { type: 'cancel' };

export type FromPreviewWorker =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done' }
  | { type: 'failed'; error: WireError };
