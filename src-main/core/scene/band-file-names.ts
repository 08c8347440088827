/**
 * Band identity, acquisition date and MGRS tile from the names of per-band files:
 * `B02.tif`, `b8a.tiff`, `T33UUP_20240612T101031_B8A_20m.jp2` (SAFE granule names),
 * `red.tif`, `nir08.tif`, `scl.tif` (Earth Search asset names). A name is split into tokens at
 * `_`, `-` and `.`; exactly one token must name a band (the whole token: `B04`, `B4`, `red`),
 * otherwise the file is not taken as a band file (TCI, AOT, WVP, `visual`, two band tokens...).
 */
import { extname } from 'node:path';
import { BAND_TABLE } from './band-table.ts';
import { S2_BANDS, type BandName, type SpectralBand } from './types.ts';

export type BandFileFormat = 'tiff' | 'jp2';

export interface BandFileName {
  band: BandName;
  format: BandFileFormat;
  /** The resolution the name declares (`_20m`), m. */
  resolution?: number;
  /** MGRS tile id without the leading T, e.g. "33UUP". */
  tile?: string;
  /** Acquisition date, ISO 8601 (YYYY-MM-DD). */
  date?: string;
}

const FORMATS: Record<string, BandFileFormat> = { '.tif': 'tiff', '.tiff': 'tiff', '.jp2': 'jp2' };

/** Earth Search (and STAC eo:common_name) asset names → band; `scl` is the L2A scene classification. */
const ASSET_NAMES: ReadonlyMap<string, BandName> = new Map<string, BandName>([
  ...Object.values(BAND_TABLE).map((b) => [b.commonName, b.id] as [string, BandName]),
  ['scl', 'SCL'],
]);

function bandOfToken(token: string): BandName | null {
  const t = token.toLowerCase();
  const m = /^b(0?[1-9]|1[0-2]|0?8a)$/.exec(t);
  if (m) {
    const digits = m[1].replace(/^0/, '').toUpperCase();
    const id = `B${digits.length === 1 ? `0${digits}` : digits}`;
    return (S2_BANDS as readonly string[]).includes(id) ? (id as SpectralBand) : null;
  }
  return ASSET_NAMES.get(t) ?? null;
}

/** MGRS tile and acquisition date found anywhere in a name (file or folder), when present. */
export function sceneFactsFromName(name: string): { tile?: string; date?: string } {
  const out: { tile?: string; date?: string } = {};
  // SAFE / granule style: T33UUP; Earth Search item ids: S2B_33UUP_20240612_0_L2A.
  const tile = /(?:^|[_.-])T(\d{2}[C-X][A-Z]{2})(?=[_.-]|$)/i.exec(name) ?? /^S2[ABC]_(\d{2}[C-X][A-Z]{2})_\d{8}_/i.exec(name);
  if (tile) out.tile = tile[1].toUpperCase();
  const date = /(?:^|[_.-])(\d{4})(\d{2})(\d{2})T\d{6}(?=[_.-]|$)/.exec(name) ?? /^S2[ABC]_\d{2}[A-Z]{3}_(\d{4})(\d{2})(\d{2})_/i.exec(name);
  if (date) {
    const [y, mo, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && y >= 2015) out.date = `${date[1]}-${date[2]}-${date[3]}`;
  }
  return out;
}

/** The band a file name declares, or null when it is not a (.tif/.tiff/.jp2) band file. */
export function parseBandFileName(fileName: string): BandFileName | null {
  const ext = extname(fileName).toLowerCase();
  const format = FORMATS[ext];
  if (!format) return null;
  const stem = fileName.slice(0, fileName.length - ext.length);
  const tokens = stem.split(/[_.-]+/).filter(Boolean);
  const bands = tokens.map(bandOfToken).filter((b): b is BandName => b !== null);
  if (bands.length !== 1) return null;
  const out: BandFileName = { band: bands[0], format, ...sceneFactsFromName(stem) };
  const res = tokens.map((t) => /^(10|20|60)m$/i.exec(t)).find((m) => m);
  if (res) out.resolution = Number(res[1]);
  return out;
}
