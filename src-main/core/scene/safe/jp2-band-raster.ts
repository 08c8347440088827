/**
 * A JPEG 2000 band file (or a zip entry holding one) as a BandRaster. A window read decodes
 * only the codestream tiles it touches, each as a codestream of its own (jp2-codestream.ts),
 * and keeps decoded tiles for the next windows: scenes are read in full-width strips from top
 * to bottom, so the tiles of the current tile row (two rows where a strip straddles them) are
 * kept and rows above the window are let go. Each tile is decoded about once; memory per band
 * is at most two rows of tiles (10980 px wide, 1024 px tiles, uint16: 2 × 23 MB).
 *
 * The raster keeps no global state besides the per-thread decoder, so worker threads can each
 * open their own.
 */
import { basename } from 'node:path';
import { MslensError, throwIfAborted } from '../../errors.ts';
import type { BandRaster } from '../band-raster.ts';
import type { BandName, PixelWindow, SampleType } from '../types.ts';
import { TruncatedError, type ByteRange } from './byte-range.ts';
import { J2kDecodeError, j2kDecoder, type DecodedPixels } from './jp2-decoder.ts';
import { Jp2FormatError, readCodestreamLayout, readJp2Container, tileCodestream, tileRect, type CodestreamLayout } from './jp2-codestream.ts';
import { georefFromGeoJp2, georefFromGml, type Georef } from './jp2-georef.ts';

export interface Jp2RasterOptions {
  band: BandName;
  /** The file (or zip path and entry) it is read from, for messages and the read log. */
  label: string;
  /** @default null */
  nodata?: number | null;
  /** Georeferencing to use when the file carries none (the granule metadata of a SAFE product). */
  fallbackGeoref?: (width: number, height: number) => Georef | null;
  /** Turns "why the file cannot be read" (a phrase, no final period) into the error the user sees. @default jp2Unreadable */
  unreadable?: (label: string, why: string, cause?: unknown) => MslensError;
  /** Called for every codestream tile decoded (what the cache test counts). */
  onTileDecode?: (tile: number) => void;
}

/** A JPEG 2000 band file that cannot be read, with what to do about it. */
function jp2Unreadable(label: string, why: string, cause?: unknown): MslensError {
  return new MslensError('SCENE_UNREADABLE', `${basename(label)} is not a readable JPEG 2000 band file: ${why}. It may be damaged or cut off: download it again, or check it with \`gdalinfo\`.`, { path: label }, { cause });
}

/** The phrase for a low-level failure, or null when the error is not about the file's bytes. */
function jp2Why(err: unknown): string | null {
  if (err instanceof Jp2FormatError) return err.message;
  if (err instanceof TruncatedError) return `the file is cut off (${err.message})`;
  if (err instanceof J2kDecodeError) return `the JPEG 2000 decoder failed (${err.message})`;
  return null;
}

function sampleTypeOf(l: CodestreamLayout): SampleType {
  if (l.bits <= 8) return l.signed ? 'int8' : 'uint8';
  if (l.bits <= 16) return l.signed ? 'int16' : 'uint16';
  return l.signed ? 'int32' : 'uint32';
}

interface CachedTile {
  row: number;
  pixels: Promise<DecodedPixels>;
}

/** Opens the band file in `bytes` (the raster owns it from here and closes it with itself). */
export async function openJp2BandRaster(bytes: ByteRange, opts: Jp2RasterOptions): Promise<BandRaster> {
  const { label } = opts;
  const unreadable = opts.unreadable ?? jp2Unreadable;
  /** A failure about the file's bytes as the user's error; anything else as it is. */
  const described = (err: unknown): unknown => {
    const why = jp2Why(err);
    return why ? unreadable(label, why.replace(/\.+$/, ''), err) : err;
  };
  let layout: CodestreamLayout;
  let georef: Georef | null;
  try {
    const container = await readJp2Container(bytes);
    layout = await readCodestreamLayout(bytes, container.codestream);
    georef = (container.geoJp2 ? await georefFromGeoJp2(container.geoJp2, label) : null)
      ?? georefFromGml(container.xml)
      ?? opts.fallbackGeoref?.(layout.width, layout.height)
      ?? null;
  } catch (err) {
    await bytes.close();
    throw described(err);
  }
  if (!georef) {
    await bytes.close();
    throw new MslensError('NO_GEOREFERENCE', `${basename(label)} has no georeferencing (no GeoJP2 or GMLJP2 box). mslens needs to know where the scene is: open the whole SAFE product (its granule metadata places the bands), or convert the band with \`gdal_translate -of COG\` after assigning its CRS and extent.`, { path: label });
  }
  const l = layout;
  const tiles = new Map<number, CachedTile>();
  const capacity = 2 * l.tilesAcross;

  const decodeTile = async (t: number): Promise<DecodedPixels> => {
    try {
      const stream = await tileCodestream(bytes, l, t);
      opts.onTileDecode?.(t);
      const image = (await j2kDecoder()).decode(stream);
      const r = tileRect(l, t);
      if (image.width !== r.width || image.height !== r.height) throw new J2kDecodeError(`tile ${t} decoded to ${image.width}×${image.height} pixels instead of ${r.width}×${r.height}`);
      return image.pixels;
    } catch (err) {
      throw described(err);
    }
  };
  const tile = (t: number): Promise<DecodedPixels> => {
    const hit = tiles.get(t);
    if (hit) {
      tiles.delete(t);
      tiles.set(t, hit);
      return hit.pixels;
    }
    const entry: CachedTile = { row: Math.floor(t / l.tilesAcross), pixels: decodeTile(t) };
    entry.pixels.catch(() => {
      if (tiles.get(t) === entry) tiles.delete(t);
    });
    tiles.set(t, entry);
    while (tiles.size > capacity) tiles.delete(tiles.keys().next().value as number);
    return entry.pixels;
  };

  return {
    band: opts.band,
    label,
    width: l.width,
    height: l.height,
    transform: georef.transform,
    crs: georef.crs,
    nodata: opts.nodata ?? null,
    // The container (product metadata) gives the scene its offset.
    offset: 0,
    sampleType: sampleTypeOf(l),
    async read(win: PixelWindow, signal?: AbortSignal, into?: Float32Array): Promise<Float32Array> {
      if (win.x < 0 || win.y < 0 || win.width <= 0 || win.height <= 0 || win.x + win.width > l.width || win.y + win.height > l.height) {
        throw new MslensError('INTERNAL', `Window ${win.x},${win.y} ${win.width}×${win.height} lies outside ${basename(label)} (${l.width}×${l.height}).`);
      }
      const n = win.width * win.height;
      const out = into && into.length >= n ? into.subarray(0, n) : new Float32Array(n);
      // Reference-grid tile indices of the window's corners.
      const col0 = Math.floor((win.x + l.x0 - l.tileX0) / l.tileWidth);
      const col1 = Math.floor((win.x + win.width - 1 + l.x0 - l.tileX0) / l.tileWidth);
      const row0 = Math.floor((win.y + l.y0 - l.tileY0) / l.tileHeight);
      const row1 = Math.floor((win.y + win.height - 1 + l.y0 - l.tileY0) / l.tileHeight);
      for (const [t, c] of tiles) if (c.row < row0) tiles.delete(t);
      for (let row = row0; row <= row1; row++) {
        for (let col = col0; col <= col1; col++) {
          throwIfAborted(signal);
          const t = row * l.tilesAcross + col;
          const pixels = await tile(t);
          const r = tileRect(l, t);
          const x0 = Math.max(win.x, r.x);
          const x1 = Math.min(win.x + win.width, r.x + r.width);
          const y0 = Math.max(win.y, r.y);
          const y1 = Math.min(win.y + win.height, r.y + r.height);
          for (let y = y0; y < y1; y++) {
            const src = (y - r.y) * r.width + (x0 - r.x);
            out.set(pixels.subarray(src, src + (x1 - x0)), (y - win.y) * win.width + (x0 - win.x));
          }
        }
      }
      return out;
    },
    close() {
      tiles.clear();
      bytes.close().catch(() => {});
    },
  };
}
