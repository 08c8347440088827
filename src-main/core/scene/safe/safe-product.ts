/**
 * A Sentinel-2 SAFE product (Level-1C or Level-2A, a `.SAFE` folder or its `.zip`, as the
 * Copernicus Browser downloads it) as a scene: the granule's JPEG 2000 bands at their finest
 * resolution (L2A: IMG_DATA/R10m|R20m|R60m/T…_B02_10m.jp2 …, SCL from R20m; L1C:
 * IMG_DATA/T…_B02.jp2 …), put on the 10 m grid by BandFilesSource, with the date, tile and
 * radiometric offset from the product's metadata.
 */
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { MslensError, throwIfAborted } from '../../errors.ts';
import { parseBandFileName, sceneFactsFromName } from '../band-file-names.ts';
import { BandFilesSource, type BandFilesOptions } from '../band-files-source.ts';
import type { BandRaster } from '../band-raster.ts';
import { MODEL_BANDS } from '../band-table.ts';
import { BAND_ORDER } from '../band-table.ts';
import type { BandName } from '../types.ts';
import { openJp2BandRaster } from './jp2-band-raster.ts';
import { PRODUCT_METADATA, openSafeContainer, safeFolderRoot, type SafeContainer } from './safe-container.ts';
import { granuleGeoref, parseGranuleMetadata, parseProductMetadata, productRadiometricOffset, type GranuleMetadata } from './safe-metadata.ts';

/** A `.zip` (checked when opened), or a folder that is or holds a SAFE product. */
export async function maybeSafeProduct(path: string): Promise<boolean> {
  const st = await stat(path).catch(() => null);
  if (!st) return false;
  if (st.isFile()) return extname(path).toLowerCase() === '.zip';
  return st.isDirectory() && (await safeFolderRoot(path)) !== null;
}

interface ProductBandFile {
  band: BandName;
  /** Path relative to the product root. */
  rel: string;
  resolution?: number;
}

interface ProductLayout {
  metadata: string;
  granule: string;
  granuleMetadata?: string;
  bands: ProductBandFile[];
}


/** The bands present, in band order. */
export function bandList(files: readonly { band: BandName }[]): BandName[] {
  return [...new Set(files.map((f) => f.band))].sort((x, y) => BAND_ORDER.indexOf(x) - BAND_ORDER.indexOf(y));
}

/**
 * The finest file of each band by the resolution its name declares (B02_10m over B02_20m);
 * files of one band at the same resolution are all kept (BandFilesSource rejects the pair).
 */
export function finestPerBand<T extends { band: BandName; resolution?: number }>(files: readonly T[]): T[] {
  const res = (f: T): number => f.resolution ?? Infinity;
  const best = new Map<BandName, number>();
  for (const f of files) best.set(f.band, Math.min(best.get(f.band) ?? Infinity, res(f)));
  return files.filter((f) => res(f) === best.get(f.band));
}

function notSafe(path: string): MslensError {
  return new MslensError('SCENE_UNREADABLE', `${basename(path)} is not a Sentinel-2 SAFE product: it has no MTD_MSIL2A.xml or MTD_MSIL1C.xml. Open the product as downloaded (the .SAFE folder or its .zip), a GeoTIFF stack, or a folder of band files.`, { path });
}

/** Finds the product metadata, the one granule and its band files (finest resolution of each band). */
function productLayout(c: SafeContainer): ProductLayout {
  const name = basename(c.path);
  const metadata = c.files.find((f) => !f.includes('/') && PRODUCT_METADATA.test(f));
  if (!metadata) throw notSafe(c.path);
  const granules = [...new Set(c.files.filter((f) => f.startsWith('GRANULE/')).map((f) => f.split('/')[1]))].sort();
  if (!granules.length) {
    throw new MslensError('SCENE_UNREADABLE', `${name} has no granule (GRANULE/<granule>/IMG_DATA): the product is incomplete. Download it again, the whole product.`, { path: c.path });
  }
  if (granules.length > 1) {
    throw new MslensError('SCENE_UNREADABLE', `${name} holds ${granules.length} granules (${granules.slice(0, 3).join(', ')}${granules.length > 3 ? ', …' : ''}); mslens opens one tile at a time. Download the single-tile product of the tile you need.`, { path: c.path, granules: granules.length });
  }
  const granule = granules[0];
  const bands = finestPerBand(c.files.filter((rel) => rel.startsWith(`GRANULE/${granule}/IMG_DATA/`)).flatMap((rel) => {
    const parsed = parseBandFileName(rel.split('/').pop()!);
    return parsed?.format === 'jp2' ? [{ band: parsed.band, rel, resolution: parsed.resolution }] : [];
  }));
  const found = bandList(bands);
  const missing = MODEL_BANDS.filter((b) => !found.includes(b));
  if (missing.length) {
    throw new MslensError('BANDS_MISSING', `${name} has no band file for ${missing.join(', ')} in GRANULE/${granule}/IMG_DATA (found ${found.join(' ') || 'none'}): the product is incomplete. Download it again, the whole product.`, { path: c.path, missing: missing.join(',') });
  }
  const granuleMetadata = c.files.find((f) => f === `GRANULE/${granule}/MTD_TL.xml`);
  return { metadata, granule, granuleMetadata, bands };
}

/** A Sentinel-2 tile is 109.8 km a side. */
const TILE_EXTENT_M = 109_800;
/** Room for a JPEG 2000 file's boxes and markers beyond its pixels. */
const JP2_HEADER_ALLOWANCE = 4 << 20;

/**
 * The most a band file can need: the tile's pixels at the band's resolution (10 m when the
 * name gives none) as raw 16-bit values, plus headers; JPEG 2000, even lossless, is smaller.
 */
export function maxBandFileBytes(resolution: number | undefined): number {
  const side = Math.ceil(TILE_EXTENT_M / (resolution ?? 10));
  return side * side * 2 + JP2_HEADER_ALLOWANCE;
}

export async function openSafeProduct(path: string, opts: BandFilesOptions = {}): Promise<BandFilesSource> {
  const name = basename(path);
  const c = await openSafeContainer(path);
  const rasters: BandRaster[] = [];
  try {
    const layout = productLayout(c);
    const md = parseProductMetadata(await c.readText(layout.metadata), layout.metadata);
    const offset = productRadiometricOffset(md, name);
    let granule: GranuleMetadata | null = null;
    if (layout.granuleMetadata) granule = parseGranuleMetadata(await c.readText(layout.granuleMetadata));
    // Every band's declared sizes first, so that a bomb in one band inflates none of the others.
    for (const f of layout.bands) c.checkBytes(f.rel, maxBandFileBytes(f.resolution));
    for (const f of layout.bands) {
      throwIfAborted(opts.signal);
      const label = c.label(f.rel);
      rasters.push(await openJp2BandRaster(await c.openBytes(f.rel, maxBandFileBytes(f.resolution)), {
        band: f.band,
        label,
        nodata: md.nodata,
        fallbackGeoref: granule ? (w, h) => granuleGeoref(granule, w, h) : undefined,
        unreadable: (file, why, cause) => new MslensError('SCENE_UNREADABLE', `${basename(file)} in ${name} is not a readable JPEG 2000 band file: ${why}. The product is damaged or was not downloaded completely: download it again.`, { path: file }, { cause }),
      }));
    }
    const fromNames = { ...sceneFactsFromName(md.productUri ?? ''), ...sceneFactsFromName(layout.granule) };
    return BandFilesSource.fromRasters(rasters.splice(0), {
      name,
      date: md.date ?? granule?.date ?? fromNames.date ?? sceneFactsFromName(name).date,
      tile: granule?.tile ?? fromNames.tile ?? sceneFactsFromName(name).tile,
      radiometricOffset: offset,
    }, opts);
  } finally {
    for (const r of rasters) r.close();
    await c.close();
  }
}

/** The files a SAFE folder's content key covers (product and granule metadata, band files), or none when it is not one. */
export async function safeKeyFiles(path: string): Promise<{ name: string; path: string }[]> {
  if (!(await stat(path).catch(() => null))?.isDirectory() || !(await safeFolderRoot(path))) return [];
  const c = await openSafeContainer(path);
  try {
    const layout = productLayout(c);
    return [layout.metadata, ...(layout.granuleMetadata ? [layout.granuleMetadata] : []), ...layout.bands.map((b) => b.rel)].map((rel) => ({ name: rel, path: c.label(rel) }));
  } catch {
    return c.files.filter((f) => PRODUCT_METADATA.test(f)).map((rel) => ({ name: rel, path: c.label(rel) }));
  } finally {
    await c.close();
  }
}
