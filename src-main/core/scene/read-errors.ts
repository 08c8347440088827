/**
 * Decoder failures in words. geotiff.js, zlib, the JPEG 2000 decoder and proj4 throw their own
 * errors ("incorrect data check", "byte length of Int16Array should be a multiple of 2", "No
 * quantization table found"); every read path turns them into SCENE_UNREADABLE naming the file,
 * the band and the block or window, and what would work instead.
 */
import { basename } from 'node:path';
import { MslensError, clip, fileSystemError, isAbortError } from '../errors.ts';
import type { BandName, BandSource, PixelWindow } from './types.ts';

/** TIFF compression ids by name, for messages. */
const COMPRESSIONS: Record<number, string> = {
  1: 'none', 5: 'LZW', 6: 'old-style JPEG', 7: 'JPEG', 8: 'DEFLATE', 32946: 'DEFLATE', 32773: 'PackBits',
  34887: 'LERC', 34925: 'LZMA', 50000: 'ZSTD', 50001: 'WebP', 34712: 'JPEG 2000', 34933: 'PNG',
};

export const REWRITE_HINT = 'rewrite it with a common compression (gdal_translate -co COMPRESS=DEFLATE) or download it again';

export function compressionName(id: number): string {
  return COMPRESSIONS[id] ? `${COMPRESSIONS[id]} (${id})` : `id ${id}`;
}

function labelOf(location: string): string {
  return /^https?:\/\//i.test(location) ? clip(location, 200) : basename(location);
}

/** What a decoder's error says, as a phrase ("the compressed data is corrupt"). */
export function decoderWords(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const m = String(e?.message ?? err);
  if (/^it decodes to \d+ bytes/.test(m)) return m;
  if (e?.code?.startsWith('Z_') || /incorrect (data|header) check|invalid (block type|distance|stored block|code lengths|literal)|unexpected end of file|too many length/i.test(m)) return 'its compressed data is corrupt';
  if (/byte length of \w+ should be a multiple|offset is out of bounds|Invalid typed array length|out of range|beyond the end/i.test(m)) return 'it decodes to the wrong number of bytes';
  if (/quantization table|huffman|marker|SOI|SOF|JPEG/i.test(m)) return 'its JPEG data is corrupt or of a kind mslens cannot decode';
  if (/LERC/i.test(m)) return 'its LERC data is corrupt or of a kind mslens cannot decode';
  if (/compression/i.test(m)) return 'its compression is one mslens cannot decode';
  return `it cannot be decoded (${clip(m, 100).replace(/\.$/, '')})`;
}

/** A failed block read as SCENE_UNREADABLE, naming the file, the block and the band. */
export function blockError(location: string, block: { col: number; row: number; band?: number }, err: unknown): MslensError {
  if (err instanceof MslensError) return err;
  const fs = fileSystemError(err);
  if (fs) return fs;
  const which = `block ${block.col},${block.row} (column, row)${block.band !== undefined ? ` of band ${block.band + 1}` : ''}`;
  return new MslensError('SCENE_UNREADABLE', `${labelOf(location)} could not be read: ${which} is damaged, ${decoderWords(err)}. The file is corrupt: ${REWRITE_HINT}.`, { path: location, blockCol: block.col, blockRow: block.row, ...(block.band !== undefined ? { band: block.band + 1 } : {}) }, { cause: err });
}

/** A failed window read as SCENE_UNREADABLE, naming the file, the bands and the window. */
export function windowError(location: string, win: PixelWindow, bands: readonly BandName[], err: unknown): MslensError {
  if (err instanceof MslensError) return err;
  const fs = fileSystemError(err);
  if (fs) return fs;
  return new MslensError('SCENE_UNREADABLE', `${labelOf(location)} could not be read: the pixels ${win.x}–${win.x + win.width}, ${win.y}–${win.y + win.height} of ${bands.join(' ')} are damaged, ${decoderWords(err)}. The file is corrupt: ${REWRITE_HINT}.`, { path: location, x: win.x, y: win.y }, { cause: err });
}

/**
 * The same source (its identity kept: callers ask what kind it is), with every read failure
 * that is not yet an MslensError put in words.
 */
export function guardedSource<S extends BandSource>(location: string, source: S): S {
  const read = source.readWindow.bind(source);
  source.readWindow = async (win, bands, signal, into) => {
    try {
      return await read(win, bands, signal, into);
    } catch (err) {
      if (isAbortError(err)) throw err;
      throw windowError(location, win, bands, err);
    }
  };
  return source;
}
