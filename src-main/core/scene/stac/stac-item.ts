/**
 * A Sentinel-2 STAC item read for mslens: its id, date, MGRS tile, radiometric offset and one
 * GeoTIFF asset per band. Band assets are recognised the way the big catalogues name them:
 * Earth Search keys (blue, rededge1, nir08, scl; eo:bands name = common name), Planetary
 * Computer keys and eo:bands names (B02, B8A, SCL), STAC 1.1 `bands` with `eo:common_name`,
 * and suffixed keys (B05_20m). A band given twice is taken at its finest resolution.
 */
import { MslensError } from '../../errors.ts';
import { parseBandFileName, sceneFactsFromName } from '../band-file-names.ts';
import { BAND_ORDER, BAND_TABLE } from '../band-table.ts';
import type { BandName } from '../types.ts';
import { displayUrl, resolveHref } from './location.ts';
import { decideOffset, type AssetScaling, type OffsetDecision } from './stac-offset.ts';

export interface StacBandAsset {
  band: BandName;
  /** The asset's key in the item. */
  key: string;
  /** Absolute URL or file path. */
  href: string;
  /** Declared ground sampling distance, m, when the item gives one. */
  resolution?: number;
}

export interface StacItem {
  id: string;
  /** Where the item was read from (URL or absolute path). */
  location: string;
  /** Acquisition date, YYYY-MM-DD. */
  date?: string;
  /** MGRS tile, e.g. "33UUP". */
  tile?: string;
  /** One asset per band, in band order. */
  bands: StacBandAsset[];
  offset: OffsetDecision;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function notAnItem(location: string, why: string): MslensError {
  return new MslensError('SCENE_UNREADABLE', `${displayUrl(location)} is not a STAC item: ${why}. mslens opens one Sentinel-2 STAC item (a GeoJSON Feature with stac_version and assets), as a .json file or by its URL, e.g. https://earth-search.aws.element84.com/v1/collections/sentinel-2-l2a/items/<id>.`, { path: displayUrl(location) });
}

/** The band an asset holds: from its band metadata (name), its key, or an unambiguous common name. */
function bandOfAsset(key: string, asset: Json): BandName | null {
  const eo = Array.isArray(asset['eo:bands']) ? (asset['eo:bands'] as unknown[]) : null;
  const bands11 = Array.isArray(asset.bands) ? (asset.bands as unknown[]) : null;
  const described = bands11 ?? eo;
  // A multi-band asset (the true-colour `visual`) is not a band.
  if (described && described.length !== 1) return null;
  const meta = described && isObject(described[0]) ? described[0] : {};
  const byToken = (s: unknown): BandName | null => (typeof s === 'string' && s.trim() ? parseBandFileName(`${s.trim()}.tif`)?.band ?? null : null);
  const common = meta.common_name ?? meta['eo:common_name'];
  // "rededge" names B05, B06 and B07 alike: only a common name that is one band's counts.
  const byCommon = typeof common === 'string' ? Object.values(BAND_TABLE).filter((b) => b.commonName === common.toLowerCase()) : [];
  return byToken(meta.name) ?? byToken(key) ?? (byCommon.length === 1 ? byCommon[0].id : null);
}

function isTiffAsset(asset: Json, href: string): boolean {
  const type = typeof asset.type === 'string' ? asset.type.toLowerCase() : '';
  if (type) return type.startsWith('image/tiff') || type.startsWith('image/geotiff') || type.startsWith('image/vnd.stac.geotiff');
  return /\.tiff?(?:$|[?#])/i.test(href);
}

/** The asset's declared pixel size: gsd, raster spatial_resolution, proj:transform, or a _20m key. */
function resolutionOf(key: string, asset: Json): number | undefined {
  const band = (Array.isArray(asset['raster:bands']) ? asset['raster:bands'][0] : Array.isArray(asset.bands) ? asset.bands[0] : undefined) as Json | undefined;
  const transform = Array.isArray(asset['proj:transform']) ? num(asset['proj:transform'][0]) : undefined;
  return num(band?.spatial_resolution) ?? num(band?.['raster:spatial_resolution']) ?? num(asset['raster:spatial_resolution']) ?? num(asset.gsd)
    ?? (transform !== undefined ? Math.abs(transform) : undefined) ?? parseBandFileName(`${key}.tif`)?.resolution;
}

function scalingOf(key: string, band: BandName, asset: Json): AssetScaling {
  const rb = Array.isArray(asset['raster:bands']) && isObject(asset['raster:bands'][0]) ? (asset['raster:bands'][0] as Json) : {};
  const b11 = Array.isArray(asset.bands) && isObject(asset.bands[0]) ? (asset.bands[0] as Json) : {};
  return {
    key, band,
    scale: num(rb.scale) ?? num(b11['raster:scale']) ?? num(asset['raster:scale']),
    offset: num(rb.offset) ?? num(b11['raster:offset']) ?? num(asset['raster:offset']),
  };
}

function tileOf(id: string, props: Json): string | undefined {
  const direct = props['s2:mgrs_tile'] ?? props['mgrs:tile'];
  if (typeof direct === 'string' && /^T?\d{1,2}[C-X][A-Z]{2}$/i.test(direct.trim())) return direct.trim().replace(/^T/i, '').padStart(5, '0').toUpperCase();
  for (const p of ['mgrs:', 'sentinel:']) {
    const zone = props[`${p}utm_zone`];
    const band = props[`${p}latitude_band`];
    const square = props[`${p}grid_square`];
    if ((typeof zone === 'number' || typeof zone === 'string') && typeof band === 'string' && typeof square === 'string') {
      return `${String(zone).padStart(2, '0')}${band}${square}`.toUpperCase();
    }
  }
  return sceneFactsFromName(id).tile;
}

function dateOf(props: Json): string | undefined {
  for (const k of ['datetime', 'start_datetime']) {
    const v = props[k];
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) return v.slice(0, 10);
  }
  return undefined;
}

/** Validates an item and picks its band assets. `location` is where it was read from. */
export function parseStacItem(doc: unknown, location: string): StacItem {
  if (!isObject(doc)) throw notAnItem(location, 'it is not a JSON object');
  if (doc.type === 'FeatureCollection') {
    const n = Array.isArray(doc.features) ? doc.features.length : 0;
    throw notAnItem(location, `it is a FeatureCollection of ${n} item${n === 1 ? '' : 's'} (a search result); open one of its items`);
  }
  if (doc.type === 'Collection' || doc.type === 'Catalog') throw notAnItem(location, `it is a STAC ${doc.type}; open one of its items`);
  if (doc.type !== 'Feature') throw notAnItem(location, `its type is ${JSON.stringify(doc.type ?? null)}, not "Feature"`);
  if (typeof doc.stac_version !== 'string') throw notAnItem(location, 'it has no stac_version (a plain GeoJSON Feature?)');
  if (typeof doc.id !== 'string' || !doc.id.trim()) throw notAnItem(location, 'it has no id');
  if (!isObject(doc.assets)) throw notAnItem(location, 'it has no assets');
  if (!isObject(doc.properties)) throw notAnItem(location, 'it has no properties');
  const id = doc.id;
  const props = doc.properties;

  const candidates: (StacBandAsset & { asset: Json; exact: boolean })[] = [];
  const otherFormats: string[] = [];
  for (const [key, asset] of Object.entries(doc.assets)) {
    if (!isObject(asset) || typeof asset.href !== 'string' || !asset.href) continue;
    const band = bandOfAsset(key, asset);
    if (!band) continue;
    const href = resolveHref(asset.href, location);
    if (!isTiffAsset(asset, href)) {
      otherFormats.push(`${key} (${typeof asset.type === 'string' ? asset.type.split(';')[0] : 'no type'})`);
      continue;
    }
    const exact = key.toLowerCase() === band.toLowerCase() || (band !== 'SCL' && key.toLowerCase() === BAND_TABLE[band].commonName);
    candidates.push({ band, key, href, resolution: resolutionOf(key, asset), asset, exact });
  }

  // Finest declared resolution first; then the asset whose key is the band's own name.
  const rank = (c: (typeof candidates)[number]): [number, number] => [c.resolution ?? Number.POSITIVE_INFINITY, c.exact ? 0 : 1];
  const byBand = new Map<BandName, (typeof candidates)[number]>();
  for (const c of candidates) {
    const prev = byBand.get(c.band);
    if (!prev) { byBand.set(c.band, c); continue; }
    const [r0, e0] = rank(prev);
    const [r1, e1] = rank(c);
    if (r1 < r0 || (r1 === r0 && e1 < e0)) byBand.set(c.band, c);
  }
  if (byBand.size === 0) {
    throw new MslensError(
      'BANDS_MISSING',
      otherFormats.length
        ? `The STAC item ${id} has its bands only in formats mslens does not read (${otherFormats.slice(0, 3).join(', ')}${otherFormats.length > 3 ? ', …' : ''}); mslens reads GeoTIFF/COG assets. Use the item from a catalogue that serves COGs (Earth Search, Planetary Computer), or convert the bands with \`gdal_translate -of COG\` and open their folder.`
        : `The STAC item ${id} has no Sentinel-2 band assets (assets: ${Object.keys(doc.assets).slice(0, 8).join(', ')}). mslens opens items with one GeoTIFF asset per band, keyed like blue/red/nir08 (Earth Search) or B02/B04/B8A (Planetary Computer).`,
      { item: id },
    );
  }
  const picked = [...byBand.values()].sort((a, b) => BAND_ORDER.indexOf(a.band) - BAND_ORDER.indexOf(b.band));
  return {
    id,
    location,
    date: dateOf(props),
    tile: tileOf(id, props),
    bands: picked.map(({ band, key, href, resolution }) => ({ band, key, href, ...(resolution !== undefined ? { resolution } : {}) })),
    offset: decideOffset(id, props, picked.map((c) => scalingOf(c.key, c.band, c.asset))),
  };
}
