/**
 * Sanity checks every opened scene passes before anything is allocated or projected: sizes
 * within stated limits, a finite north-up transform with a non-zero pixel size, corners inside
 * the CRS's domain, and a finite lon/lat footprint. A file that fails one is refused with what
 * is wrong, instead of a null in a bbox, a bogus footprint or an allocation failure later.
 *
 * Limits (also in the README's known limits):
 * - a scene side is at most 100 000 px (a Sentinel-2 tile is 10 980 px at 10 m), and a scene
 *   at most 2³² px in all;
 * - a file block (tile or strip) is at most 16 384 px on a side and 256 MB decoded.
 */
import { basename } from 'node:path';
import { MslensError } from '../errors.ts';
import { makeFootprinter } from '../tiles/tile-grid.ts';
import type { RasterInfo } from './types.ts';

export const MAX_SCENE_EDGE = 100_000;
export const MAX_SCENE_PIXELS = 2 ** 32;
export const MAX_BLOCK_EDGE = 16_384;
export const MAX_BLOCK_BYTES = 256 * 1024 * 1024;

const nice = (n: number): string => (Number.isFinite(n) ? (Math.abs(n) >= 1e6 ? n.toExponential(2) : String(n)) : String(n));

/** The name of a scene location for a message: a file name, or a URL as it is. */
function labelOf(location: string): string {
  return /^https?:\/\//i.test(location) ? location : basename(location);
}

/** Throws SCENE_UNREADABLE unless a width × height raster is within the limits. */
export function checkRasterSize(location: string, width: number, height: number): void {
  const name = labelOf(location);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new MslensError('SCENE_UNREADABLE', `${name} declares a size of ${nice(width)}×${nice(height)} px, which no image has. The file is damaged: export or download it again.`, { path: location });
  }
  if (width > MAX_SCENE_EDGE || height > MAX_SCENE_EDGE || width * height > MAX_SCENE_PIXELS) {
    throw new MslensError('SCENE_UNREADABLE', `${name} declares ${nice(width)}×${nice(height)} px; mslens opens scenes of up to ${MAX_SCENE_EDGE.toLocaleString('en')} px a side (a Sentinel-2 tile is 10 980 px). The file is damaged, or cut the scene into smaller parts (gdal_translate -srcwin).`, { path: location, width, height });
  }
}

/** Throws SCENE_UNREADABLE unless a file's blocks (tiles or strips) are within the limits. */
export function checkBlockSize(location: string, blockWidth: number, blockHeight: number, bytesPerBlock: number): void {
  const name = labelOf(location);
  if (!Number.isInteger(blockWidth) || !Number.isInteger(blockHeight) || blockWidth < 1 || blockHeight < 1 || blockWidth > MAX_BLOCK_EDGE || blockHeight > MAX_BLOCK_EDGE || !(bytesPerBlock <= MAX_BLOCK_BYTES)) {
    throw new MslensError('SCENE_UNREADABLE', `${name} declares blocks (tiles or strips) of ${nice(blockWidth)}×${nice(blockHeight)} px; mslens reads blocks of up to ${MAX_BLOCK_EDGE} px a side and ${MAX_BLOCK_BYTES >> 20} MB. The file is damaged, or rewrite it tiled (gdal_translate -co TILED=YES).`, { path: location, blockWidth, blockHeight });
  }
}

/** Where a CRS's coordinates can lie at all (generously: a scene may reach past its zone). */
function domainOf(epsg: number): { x: [number, number]; y: [number, number]; unit: string; axes: [string, string] } {
  if (epsg === 4326) return { x: [-180, 180], y: [-90, 90], unit: '°', axes: ['longitudes', 'latitudes'] };
  if (epsg === 3857) return { x: [-20_100_000, 20_100_000], y: [-20_100_000, 20_100_000], unit: ' m', axes: ['x', 'y'] };
  // UTM: eastings around 500 000 m, northings 0–10 000 000 m (south zones count from the south pole).
  return { x: [-2_000_000, 3_000_000], y: [-1_000_000, 11_000_000], unit: ' m', axes: ['eastings', 'northings'] };
}

/** A CRS by name for a message (the codes crs.ts accepts). */
function crsName(epsg: number): string {
  if (epsg === 4326) return 'WGS 84 longitude/latitude';
  if (epsg === 3857) return 'Web Mercator';
  if (epsg >= 32601 && epsg <= 32660) return `WGS 84 / UTM zone ${epsg - 32600}N`;
  if (epsg >= 32701 && epsg <= 32760) return `WGS 84 / UTM zone ${epsg - 32700}S`;
  if (epsg >= 25828 && epsg <= 25838) return `ETRS89 / UTM zone ${epsg - 25800}N`;
  return `the CRS with code ${epsg}`;
}

/**
 * Throws NO_GEOREFERENCE unless the transform places the raster somewhere real: finite, a
 * non-zero pixel size, every corner within the CRS's domain and a finite lon/lat footprint.
 */
export function checkGeoreference(location: string, info: Pick<RasterInfo, 'width' | 'height' | 'crs' | 'transform'>): void {
  const name = labelOf(location);
  const t = info.transform;
  const refuse = (why: string): never => {
    throw new MslensError('NO_GEOREFERENCE', `${name} has georeferencing that makes no sense: ${why}. Fix it with GDAL (gdal_edit -a_ullr, or gdal_translate -a_srs and -a_ullr) or export the scene again with its CRS and geotransform.`, { path: location });
  };
  if (!t.every(Number.isFinite)) refuse(`its geotransform is not finite (origin ${nice(t[0])}, ${nice(t[3])}; pixel size ${nice(t[1])} × ${nice(t[5])})`);
  if (t[1] === 0 || t[5] === 0) refuse(`its pixel size is ${nice(t[1])} × ${nice(-t[5])}, and a pixel cannot be 0 wide or high`);
  const d = domainOf(info.crs.epsg);
  const xs = [t[0], t[0] + info.width * t[1] + info.height * t[2]];
  const ys = [t[3], t[3] + info.width * t[4] + info.height * t[5]];
  const inside = (v: number, [lo, hi]: [number, number]): boolean => v >= lo && v <= hi;
  if (!xs.every((x) => inside(x, d.x)) || !ys.every((y) => inside(y, d.y))) {
    const where = inside(t[0], d.x) && inside(t[3], d.y)
      ? `its far corner (${nice(xs[1])}, ${nice(ys[1])}) lies`
      : `its origin (${nice(t[0])}, ${nice(t[3])}) lies`;
    refuse(`${where} outside ${crsName(info.crs.epsg)}, whose ${d.axes[0]} run from ${nice(d.x[0])} to ${nice(d.x[1])}${d.unit} and ${d.axes[1]} from ${nice(d.y[0])} to ${nice(d.y[1])}${d.unit}`);
  }
  let ring: Float64Array;
  try {
    ring = makeFootprinter(info.crs, t)({ x: 0, y: 0, width: info.width, height: info.height });
  } catch {
    return refuse(`its corners cannot be projected from EPSG:${info.crs.epsg} to longitude and latitude`);
  }
  if (!ring.every(Number.isFinite) || ring.some((v, i) => Math.abs(v) > (i % 2 ? 90 : 540))) {
    refuse(`its corners do not project to a longitude and latitude from EPSG:${info.crs.epsg}`);
  }
}

/** Every check of an opened scene's description. */
export function checkRasterInfo(location: string, info: RasterInfo): void {
  checkRasterSize(location, info.width, info.height);
  checkGeoreference(location, info);
}
