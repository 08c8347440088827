/**
 * A plain folder of JPEG 2000 band files (bands copied out of a SAFE product), opened like a
 * folder of GeoTIFF band files: band identity, date and tile from the names, the finest
 * resolution of each band. The files must carry their georeferencing (GeoJP2 or GMLJP2, as
 * ESA's and GDAL's do), or the granule's MTD_TL.xml must sit beside them; the product's
 * MTD_MSIL*.xml beside them gives the radiometric offset, which is 0 without it.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MslensError, throwIfAborted } from '../../errors.ts';
import { sceneFactsFromName } from '../band-file-names.ts';
import { BandFilesSource, findBandFiles, type BandFilesOptions } from '../band-files-source.ts';
import type { BandRaster } from '../band-raster.ts';
import { MODEL_BANDS } from '../band-table.ts';
import { fileByteRange } from './byte-range.ts';
import { openJp2BandRaster } from './jp2-band-raster.ts';
import { PRODUCT_METADATA, safeFolderRoot } from './safe-container.ts';
import { granuleGeoref, parseGranuleMetadata, parseProductMetadata, productRadiometricOffset } from './safe-metadata.ts';
import { bandList, finestPerBand } from './safe-product.ts';

/** A folder with JPEG 2000 band files and no GeoTIFF ones, that is not a SAFE product. */
export async function isJp2BandFolder(path: string): Promise<boolean> {
  if (!(await stat(path).catch(() => null))?.isDirectory()) return false;
  const found = await findBandFiles(path);
  return found.some((f) => f.format === 'jp2') && !found.some((f) => f.format === 'tiff') && !(await safeFolderRoot(path));
}

export async function openJp2BandFolder(folder: string, opts: BandFilesOptions = {}): Promise<BandFilesSource> {
  const name = basename(folder);
  const files = finestPerBand((await findBandFiles(folder)).filter((x) => x.format === 'jp2'));
  const found = bandList(files);
  const missing = MODEL_BANDS.filter((b) => !found.includes(b));
  if (missing.length) {
    throw new MslensError('BANDS_MISSING', `${name} has JPEG 2000 band files for ${found.join(' ')} but no ${missing.join(', ')}. mslens needs one band file for each of ${MODEL_BANDS.join(' ')} (named like T33UUP_20240612T101031_${missing[0]}_20m.jp2): open the whole SAFE product instead.`, { path: folder, missing: missing.join(',') });
  }
  const tl = await readFile(join(folder, 'MTD_TL.xml'), 'utf8').catch(() => null);
  const granule = tl ? parseGranuleMetadata(tl) : null;
  // Product metadata beside the bands gives their offset; without it they are taken as stored
  // offset-free, as band GeoTIFFs without offset metadata are.
  const mtd = (await readdir(folder).catch(() => [] as string[])).find((f) => PRODUCT_METADATA.test(f));
  const product = mtd ? parseProductMetadata(await readFile(join(folder, mtd), 'utf8'), mtd) : null;
  const offset = product ? productRadiometricOffset(product, name) : undefined;
  const rasters: BandRaster[] = [];
  try {
    for (const f of files) {
      throwIfAborted(opts.signal);
      rasters.push(await openJp2BandRaster(await fileByteRange(f.path), {
        band: f.band,
        label: f.path,
        nodata: product?.nodata,
        fallbackGeoref: granule ? (w, h) => granuleGeoref(granule, w, h) : undefined,
        unreadable: (file, why, cause) => new MslensError('SCENE_UNREADABLE', `${name} holds JPEG 2000 band files but ${basename(file)} could not be read: ${why}. Download it again; if GDAL reads it (\`gdalinfo\`), convert the bands with \`gdal_translate -of COG\` and open the folder of GeoTIFFs.`, { path: file }, { cause }),
      }));
    }
  } catch (err) {
    for (const r of rasters) r.close();
    throw err;
  }
  const facts = files.map((f) => sceneFactsFromName(f.name));
  const folderFacts = sceneFactsFromName(name);
  return BandFilesSource.fromRasters(rasters, {
    name,
    date: product?.date ?? facts.find((x) => x.date)?.date ?? folderFacts.date ?? granule?.date,
    tile: granule?.tile ?? facts.find((x) => x.tile)?.tile ?? folderFacts.tile,
    radiometricOffset: offset,
  }, opts);
}
