/**
 * One band of a scene held in its own raster (a band file, a STAC asset, a JPEG 2000 band of a
 * SAFE product), at its native resolution. BandFilesSource puts several of these on the 10 m
 * grid; each kind of input only has to say how to open its rasters and read a window of one.
 */
import { basename } from 'node:path';
import type { GeoTIFF, GeoTIFFImage } from 'geotiff';
import { MslensError, isAbortError } from '../errors.ts';
import { makeBlockReader } from './block-reader.ts';
import { SAMPLE_TYPES, acquisitionDate, checkNotTruncated, geoTransform, imageCrs, radiometricOffset } from './geotiff-source.ts';
import type { BandName, Crs, GeoTransform, PixelWindow, SampleType } from './types.ts';

export interface BandRaster {
  readonly band: BandName;
  /** The file path or URL it is read from (for messages and the read log). */
  readonly label: string;
  readonly width: number;
  readonly height: number;
  readonly transform: GeoTransform;
  readonly crs: Crs;
  readonly nodata: number | null;
  /** Radiometric offset in stored DN (+1000 from processing baseline 04.00), 0 when none. */
  readonly offset: number;
  readonly sampleType: SampleType;
  /** Acquisition date the raster's own metadata declares. */
  readonly date?: string;
  /** A window in this raster's own pixels, into `into` when given (at least width × height). */
  read(win: PixelWindow, signal?: AbortSignal, into?: Float32Array): Promise<Float32Array>;
  close(): void;
}

export function bandRasterError(label: string, why: string, cause?: unknown): MslensError {
  return new MslensError('SCENE_UNREADABLE', `${basename(label)} could not be read as a band raster: ${why.replace(/\.+$/, '')}. A scene's band files hold one Sentinel-2 band each.`, { path: label }, { cause });
}

export interface OpenTiffOptions {
  /** The local file, checked for truncation (absent for remote files). */
  file?: string;
  /** The product's offset, overriding the file's own metadata. */
  offset?: number;
  /** A more specific error for a failure to open, or undefined for the general one. */
  openError?: (err: unknown) => Error | undefined;
}

/** Opens a single-band GeoTIFF (`open` gives it: from a file or over HTTP) as a band raster; closed again on failure. */
export async function openTiffBandRaster(open: () => Promise<GeoTIFF>, band: BandName, label: string, opts: OpenTiffOptions = {}): Promise<BandRaster> {
  let tiff: GeoTIFF | undefined;
  try {
    tiff = await open();
    const image = await tiff.getImage(0);
    if (opts.file) await checkNotTruncated(opts.file, image);
    return await tiffBandRaster(tiff, image, band, label, opts.offset);
  } catch (err) {
    tiff?.close?.();
    if (err instanceof MslensError || isAbortError(err)) throw err;
    throw opts.openError?.(err) ?? bandRasterError(label, (err as Error).message || 'it is not a TIFF file', err);
  }
}

/** A single-band GeoTIFF (local or remote; geotiff.js does the fetching) as a band raster. */
export async function tiffBandRaster(tiff: GeoTIFF, image: GeoTIFFImage, band: BandName, label: string, offsetOverride?: number): Promise<BandRaster> {
  const spp = image.getSamplesPerPixel();
  if (spp !== 1) throw bandRasterError(label, `it holds ${spp} bands, not one`);
  const sampleType = SAMPLE_TYPES[`${image.getSampleFormat(0)}:${image.getBitsPerSample(0)}`];
  if (!sampleType) throw bandRasterError(label, `its sample type (format ${image.getSampleFormat(0)}, ${image.getBitsPerSample(0)} bits) is not supported`);
  const dataset = await image.getGDALMetadata(null).catch(() => null);
  // Band metadata only matters for the offset, which an override (STAC raster:bands) replaces.
  const band0 = offsetOverride === undefined ? await image.getGDALMetadata(0).catch(() => null) : null;
  const blocks = await makeBlockReader(tiff, image, label);
  const width = image.getWidth();
  const height = image.getHeight();
  return {
    band, label, width, height, sampleType,
    transform: geoTransform(label, image),
    crs: imageCrs(label, image),
    nodata: image.getGDALNoData(),
    offset: offsetOverride ?? radiometricOffset(dataset, band0),
    date: acquisitionDate(label, dataset),
    async read(win, signal, into) {
      if (blocks) return (await blocks.read(win, [0], signal, into ? [into] : undefined))[0];
      const n = win.width * win.height;
      const [r] = (await image.readRasters({ window: [win.x, win.y, win.x + win.width, win.y + win.height], samples: [0], interleave: false, signal })) as unknown as ArrayLike<number>[];
      const out = into && into.length >= n ? into.subarray(0, n) : new Float32Array(n);
      out.set(r);
      return out;
    },
    close: () => tiff.close?.(),
  };
}
