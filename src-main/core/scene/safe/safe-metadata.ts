/**
 * The facts mslens needs from a SAFE product's metadata: the product file (MTD_MSIL2A.xml /
 * MTD_MSIL1C.xml: level, processing baseline, radiometric offsets, quantification, date, nodata)
 * and the granule file (MTD_TL.xml: tile, sensing time, CRS, grid per resolution). These are
 * flat, well-known tags, read with tolerant regular expressions rather than an XML library.
 */
import { MslensError } from '../../errors.ts';
import { crsFromEpsg } from '../crs.ts';
import { S2_BANDS } from '../types.ts';
import type { Georef } from './jp2-georef.ts';

export type ProductLevel = 'L1C' | 'L2A';

export interface ProductMetadata {
  level?: ProductLevel;
  /** Processing baseline as written, e.g. "05.10". */
  baseline?: string;
  /** Acquisition date, YYYY-MM-DD. */
  date?: string;
  productUri?: string;
  /** Reflectance × this = stored DN (10000 for all baselines so far). */
  quantification?: number;
  /** BOA_ADD_OFFSET (L2A) or RADIO_ADD_OFFSET (L1C) per band_id, as declared (e.g. -1000). */
  addOffsets: ReadonlyMap<number, number>;
  /** The NODATA special value (0 in every product so far), when declared. */
  nodata: number | null;
}

export interface GranuleMetadata {
  /** MGRS tile without the T, e.g. "33UUP". */
  tile?: string;
  date?: string;
  epsg?: number;
  /** Per resolution (m): grid size and upper-left corner. */
  grids: ReadonlyMap<number, { rows: number; cols: number; ulx?: number; uly?: number; xdim?: number; ydim?: number }>;
}

const TAG = (name: string): RegExp => new RegExp(`<(?:[\\w-]+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:[\\w-]+:)?${name}>`);

function tagText(xml: string, name: string): string | undefined {
  return TAG(name).exec(xml)?.[1].trim() || undefined;
}

function tagNumber(xml: string, name: string): number | undefined {
  const t = tagText(xml, name);
  const v = t === undefined ? NaN : Number(t);
  return Number.isFinite(v) ? v : undefined;
}

const isoDate = (t: string | undefined): string | undefined => (t && /^\d{4}-\d{2}-\d{2}/.test(t) ? t.slice(0, 10) : undefined);

export function parseProductMetadata(xml: string, fileName = ''): ProductMetadata {
  const type = `${tagText(xml, 'PRODUCT_TYPE') ?? ''} ${tagText(xml, 'PROCESSING_LEVEL') ?? ''} ${fileName}`;
  const level: ProductLevel | undefined = /2A/i.test(type) ? 'L2A' : /1C/i.test(type) ? 'L1C' : undefined;
  const productUri = tagText(xml, 'PRODUCT_URI');
  const nameBaseline = productUri ? /_N(\d{2})(\d{2})_/.exec(productUri) : null;
  const addOffsets = new Map<number, number>();
  for (const m of xml.matchAll(/<(?:[\w-]+:)?(?:BOA_ADD_OFFSET|RADIO_ADD_OFFSET)\s[^>]*band_id="(\d+)"[^>]*>\s*([-+\d.eE]+)\s*</g)) {
    addOffsets.set(Number(m[1]), Number(m[2]));
  }
  const nodata = /<SPECIAL_VALUE_TEXT>\s*NODATA\s*<\/SPECIAL_VALUE_TEXT>\s*<SPECIAL_VALUE_INDEX>\s*(-?\d+)\s*</.exec(xml);
  return {
    level,
    baseline: tagText(xml, 'PROCESSING_BASELINE') ?? (nameBaseline ? `${nameBaseline[1]}.${nameBaseline[2]}` : undefined),
    date: isoDate(tagText(xml, 'PRODUCT_START_TIME')) ?? isoDate(tagText(xml, 'DATATAKE_SENSING_START')),
    productUri,
    quantification: tagNumber(xml, 'BOA_QUANTIFICATION_VALUE') ?? tagNumber(xml, 'QUANTIFICATION_VALUE'),
    addOffsets,
    nodata: nodata ? Number(nodata[1]) : null,
  };
}

/**
 * The radiometric offset of the stored values in DN, as mslens counts it (−BOA_ADD_OFFSET, so
 * +1000 from baseline 04.00). Products before 04.00 declare none and have none.
 */
export function productRadiometricOffset(md: ProductMetadata, product: string): number {
  if (md.quantification !== undefined && md.quantification !== 10000) {
    throw new MslensError('SCENE_UNREADABLE', `${product} stores reflectance × ${md.quantification}, but mslens reads Sentinel-2 products that store reflectance × 10000 (QUANTIFICATION_VALUE). Convert the bands to that scale, or open another product.`, { path: product, quantification: md.quantification });
  }
  const values = [...new Set(md.addOffsets.values())];
  if (values.length > 1) {
    const list = [...md.addOffsets].map(([id, v]) => `${S2_BANDS[id] ?? `band_id ${id}`} ${v}`).join(', ');
    throw new MslensError('SCENE_UNREADABLE', `${product} declares a different radiometric offset for some bands (${list}). mslens applies one offset to the whole scene: open a product whose bands share one offset, or export the bands as GeoTIFFs with the offsets removed.`, { path: product });
  }
  if (values.length === 1) return -values[0];
  const baseline = Number(md.baseline);
  if (Number.isFinite(baseline) && baseline >= 4) {
    throw new MslensError('SCENE_UNREADABLE', `${product} is from processing baseline ${md.baseline}, which stores values with an offset, but its metadata declares no ${md.level === 'L1C' ? 'RADIO_ADD_OFFSET' : 'BOA_ADD_OFFSET'}. Its metadata file looks incomplete: download the product again.`, { path: product, baseline: md.baseline ?? '' });
  }
  return 0;
}

export function parseGranuleMetadata(xml: string): GranuleMetadata {
  const tileId = tagText(xml, 'TILE_ID') ?? '';
  const tile = /_T(\d{2}[C-X][A-Z]{2})(?:_|$)/.exec(tileId)?.[1];
  const code = tagText(xml, 'HORIZONTAL_CS_CODE');
  const epsg = code ? Number(/(\d+)\s*$/.exec(code)?.[1]) || undefined : undefined;
  const grids = new Map<number, { rows: number; cols: number; ulx?: number; uly?: number; xdim?: number; ydim?: number }>();
  for (const m of xml.matchAll(/<(?:[\w-]+:)?Size\s[^>]*resolution="(\d+)"[^>]*>([\s\S]*?)<\/(?:[\w-]+:)?Size>/g)) {
    const rows = tagNumber(m[2], 'NROWS');
    const cols = tagNumber(m[2], 'NCOLS');
    if (rows && cols) grids.set(Number(m[1]), { rows, cols });
  }
  for (const m of xml.matchAll(/<(?:[\w-]+:)?Geoposition\s[^>]*resolution="(\d+)"[^>]*>([\s\S]*?)<\/(?:[\w-]+:)?Geoposition>/g)) {
    const g = grids.get(Number(m[1]));
    if (g) Object.assign(g, { ulx: tagNumber(m[2], 'ULX'), uly: tagNumber(m[2], 'ULY'), xdim: tagNumber(m[2], 'XDIM'), ydim: tagNumber(m[2], 'YDIM') });
  }
  return { tile, date: isoDate(tagText(xml, 'SENSING_TIME')), epsg, grids };
}

/** The granule's grid of a band `width` × `height` pixels: the resolution whose size matches. */
export function granuleGeoref(g: GranuleMetadata, width: number, height: number): Georef | null {
  const crs = g.epsg ? crsFromEpsg(g.epsg) : null;
  if (!crs) return null;
  for (const grid of g.grids.values()) {
    if (grid.cols !== width || grid.rows !== height) continue;
    const { ulx, uly, xdim, ydim } = grid;
    if (ulx === undefined || uly === undefined || !xdim || !ydim) continue;
    return { transform: [ulx, xdim, 0, uly, 0, ydim], crs };
  }
  return null;
}
