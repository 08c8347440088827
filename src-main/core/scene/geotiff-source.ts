/**
 * Multi-band GeoTIFF / COG stacks of Sentinel-2 (12-band L2A, 13-band L1C, 10-band model order)
 * read through geotiff.js, window by window. A band described "SCL" (as in the demo scene) is
 * the L2A scene classification layer, read like any band and used for the cloud masks.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fromFile, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { MslensError, isAbortError } from '../errors.ts';
import { sceneFactsFromName } from './band-file-names.ts';
import { identifyBands } from './band-table.ts';
import { makeBlockReader, type BlockReader } from './block-reader.ts';
import { requireCrs } from './crs.ts';
import { useNativeDeflate } from './native-deflate.ts';
import type { BandName, BandSource, Crs, GeoTransform, PixelWindow, RasterInfo, SampleType } from './types.ts';

export const SAMPLE_TYPES: Record<string, SampleType> = {
  '1:8': 'uint8', '2:8': 'int8', '1:16': 'uint16', '2:16': 'int16',
  '1:32': 'uint32', '2:32': 'int32', '3:32': 'float32', '3:64': 'float64',
};

function unreadable(path: string, why: string, cause?: unknown): MslensError {
  return new MslensError('SCENE_UNREADABLE', `${basename(path)} could not be read as a GeoTIFF: ${why.replace(/\.+$/, '')}. Open a Sentinel-2 GeoTIFF or COG (12-band L2A, 13-band L1C or the 10 model bands).`, { path }, { cause });
}

async function bandDescriptions(image: GeoTIFFImage, count: number): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = [];
  for (let i = 0; i < count; i++) {
    const md = await image.getGDALMetadata(i).catch(() => null);
    const d = md?.DESCRIPTION;
    out.push(typeof d === 'string' ? d : undefined);
  }
  return out;
}

/** The +1000 of processing baseline 04.00, when the file declares it (GDAL offset items or BOA_ADD_OFFSET). */
export function radiometricOffset(dataset: Record<string, unknown> | null, band0: Record<string, unknown> | null): number {
  const boa = Number(dataset?.BOA_ADD_OFFSET ?? dataset?.RADIO_ADD_OFFSET ?? NaN);
  if (Number.isFinite(boa) && boa !== 0) return -boa;
  const offset = Number(band0?.OFFSET ?? NaN);
  const scale = Number(band0?.SCALE ?? 1);
  if (Number.isFinite(offset) && offset !== 0 && scale > 0) return Math.round(-offset / scale);
  return 0;
}

export function acquisitionDate(path: string, dataset: Record<string, unknown> | null): string | undefined {
  for (const key of ['ACQUISITION_DATE', 'DATATAKE_1_DATATAKE_SENSING_START', 'PRODUCT_START_TIME', 'SENSING_TIME']) {
    const v = dataset?.[key];
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) return v.slice(0, 10);
  }
  const m = /(\d{4})(\d{2})(\d{2})T\d{6}/.exec(basename(path));
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

export async function checkNotTruncated(path: string, image: GeoTIFFImage): Promise<void> {
  const fd = image.fileDirectory;
  const tiled = fd.hasTag('TileOffsets');
  const offsets = (await fd.loadValue(tiled ? 'TileOffsets' : 'StripOffsets')) as ArrayLike<number> | undefined;
  const counts = (await fd.loadValue(tiled ? 'TileByteCounts' : 'StripByteCounts')) as ArrayLike<number> | undefined;
  if (!offsets || !counts) throw unreadable(path, 'it has no image data');
  let end = 0;
  for (let i = 0; i < offsets.length; i++) end = Math.max(end, Number(offsets[i]) + Number(counts[i]));
  const { size } = await stat(path);
  if (end > size) throw unreadable(path, `the file is truncated (${size} bytes of ${end})`);
}

export function geoTransform(path: string, image: GeoTIFFImage): GeoTransform {
  let origin: number[];
  let res: number[];
  try {
    origin = image.getOrigin();
    res = image.getResolution();
  } catch (err) {
    throw new MslensError('NO_GEOREFERENCE', `${basename(path)} has no georeferencing (no tie point or transform). mslens needs to know where the scene is: export it as a GeoTIFF with its CRS and geotransform.`, { path }, { cause: err });
  }
  return [origin[0], res[0], 0, origin[1], 0, res[1]];
}

/** The image's CRS from its GeoKeys (NO_GEOREFERENCE when absent or not placeable). */
export function imageCrs(path: string, image: GeoTIFFImage): Crs {
  const geoKeys = image.getGeoKeys();
  const epsg = (geoKeys?.ProjectedCSTypeGeoKey ?? geoKeys?.GeographicTypeGeoKey) as number | undefined;
  return requireCrs(epsg && epsg !== 32767 ? epsg : undefined, basename(path));
}

export class GeoTiffSource implements BandSource {
  private constructor(readonly info: RasterInfo, private readonly tiff: GeoTIFF, private readonly image: GeoTIFFImage, private readonly blocks: BlockReader | null) {}

  static async open(path: string, signal?: AbortSignal): Promise<GeoTiffSource> {
    useNativeDeflate();
    let tiff: GeoTIFF;
    let image: GeoTIFFImage;
    try {
      tiff = await fromFile(path, signal);
      image = await tiff.getImage(0);
    } catch (err) {
      if (isAbortError(err)) throw err;
      throw unreadable(path, (err as Error).message || 'it is not a TIFF file', err);
    }
    try {
      return await GeoTiffSource.fromImage(path, tiff, image);
    } catch (err) {
      tiff.close?.();
      throw err;
    }
  }

  private static async fromImage(path: string, tiff: GeoTIFF, image: GeoTIFFImage): Promise<GeoTiffSource> {
    await checkNotTruncated(path, image);
    const count = image.getSamplesPerPixel();
    const bands = identifyBands(count, await bandDescriptions(image, count));
    if (!bands.ok) {
      throw new MslensError('BANDS_MISSING', `${basename(path)} is not a Sentinel-2 stack: ${bands.reason}. mslens needs the 12 L2A bands (B01–B12 without B10), the 13 L1C bands or the 10 bands B02 B03 B04 B05 B06 B07 B08 B8A B11 B12, with band descriptions when in another order.`, { path, bands: count });
    }
    const sampleType = SAMPLE_TYPES[`${image.getSampleFormat(0)}:${image.getBitsPerSample(0)}`];
    if (!sampleType) throw unreadable(path, `its sample type (format ${image.getSampleFormat(0)}, ${image.getBitsPerSample(0)} bits) is not supported`);
    const transform = geoTransform(path, image);
    const crs = imageCrs(path, image);
    const dataset = await image.getGDALMetadata(null).catch(() => null);
    const band0 = await image.getGDALMetadata(0).catch(() => null);
    const info: RasterInfo = {
      width: image.getWidth(),
      height: image.getHeight(),
      bands: bands.bands,
      sampleType,
      nodata: image.getGDALNoData(),
      crs,
      transform,
      radiometricOffset: radiometricOffset(dataset, band0),
      date: acquisitionDate(path, dataset),
      tile: typeof dataset?.MGRS_TILE === 'string' ? dataset.MGRS_TILE : sceneFactsFromName(basename(path)).tile,
    };
    return new GeoTiffSource(info, tiff, image, await makeBlockReader(tiff, image, path));
  }

  async readWindow(win: PixelWindow, bands: readonly BandName[], signal?: AbortSignal, into?: Float32Array[]): Promise<Float32Array[]> {
    const samples = bands.map((b) => {
      const i = this.info.bands.indexOf(b);
      if (i < 0) throw new MslensError('BANDS_MISSING', `The scene has no ${b}.`, { band: b });
      return i;
    });
    if (this.blocks) return this.blocks.read(win, samples, signal, into);
    const rasters = await this.image.readRasters({
      window: [win.x, win.y, win.x + win.width, win.y + win.height],
      samples,
      interleave: false,
      signal,
    });
    return (rasters as unknown as ArrayLike<number>[]).map((r) => (r instanceof Float32Array ? r : Float32Array.from(r)));
  }

  async close(): Promise<void> {
    this.tiff.close?.();
  }
}
