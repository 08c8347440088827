/** Messages between import-model.ts and the worker that converts and checks a checkpoint. */
import type { WireError } from '../errors.ts';

export interface ImportJob {
  checkpoint: string;
  config: Record<string, unknown>;
  id: string;
  name?: string;
  description?: string;
  licence?: { id: string; url?: string };
  /** The staging folder the worker writes into; the caller moves it into place or removes it. */
  staging: string;
}

/** The import's steps, in order: convert the checkpoint to ONNX, check int8 against float32, write the manifest. */
export type ImportStep = 'convert' | 'check' | 'write';

export type ToImportWorker = { type: 'start'; job: ImportJob } | { type: 'cancel' };

export type FromImportWorker =
  | { type: 'progress'; step: ImportStep; message: string; done: number; total: number }
  | { type: 'done' }
  | { type: 'failed'; error: WireError };
