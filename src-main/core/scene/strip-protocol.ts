import type { WireError } from '../errors.ts';
import type { BandName, PixelWindow } from './types.ts';

export type ToStripWorker =
  | { type: 'open'; scenePath: string }
  /** Read `window` of `bands` into `buffers` (one Float32Array buffer per band, transferred). */
  | { type: 'read'; id: number; window: PixelWindow; bands: BandName[]; buffers: ArrayBuffer[] };

export type FromStripWorker =
  | { type: 'opened' }
  | { type: 'strip'; id: number; buffers: ArrayBuffer[] }
  | { type: 'failed'; id: number | null; error: WireError; buffers?: ArrayBuffer[] };
