import type { WireError } from '../errors.ts';
import type { BandName, PixelWindow } from './types.ts';

export type ToStripWorker =
  | { type: 'open'; scenePath: string }
  /** Read `window` of `bands` into `buffers` (one Float32Array buffer per band, shared with the reader). */
  | { type: 'read'; id: number; window: PixelWindow; bands: BandName[]; buffers: SharedArrayBuffer[] };

export type FromStripWorker =
  | { type: 'opened' }
  | { type: 'strip'; id: number }
  | { type: 'failed'; id: number | null; error: WireError };
