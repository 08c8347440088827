/**
 * GeoJSON export (RFC 7946): one Polygon feature per tile, lon/lat in EPSG:4326, exterior
 * rings counter-clockwise, coordinates rounded to 1e-7° (about 1 cm). Every feature carries
 * the tile's facts (scene, date, MGRS tile, valid and SCL mask fractions, null when unknown)
 * before the properties of the result it comes from.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { MslensError } from '../errors.ts';
import { tileRef } from '../analysis/tile-refs.ts';
import type { TileTable } from '../index/index-collection.ts';

export interface TileFeature {
  type: 'Feature';
  id: string;
  geometry: { type: 'Polygon'; coordinates: [number, number][][] };
  properties: Record<string, unknown>;
}

export interface FeatureCollection {
  type: 'FeatureCollection';
  bbox?: [number, number, number, number];
  features: TileFeature[];
}

export interface ExportRow {
  /** Row in the index. */
  index: number;
  properties: Record<string, unknown>;
}

export function tilesToGeoJson(table: TileTable, modelId: string, rows: readonly ExportRow[]): FeatureCollection {
  const { tiles } = table;
  const r7 = (v: number): number => Math.round(v * 1e7) / 1e7;
  let w = Infinity; let s = Infinity; let e = -Infinity; let n = -Infinity;
  const features = rows.map(({ index: i, properties }): TileFeature => {
    const ring: [number, number][] = [];
    for (let p = 0; p < 5; p++) {
      const lon = r7(tiles.footprint[i * 10 + 2 * p]);
      const lat = r7(tiles.footprint[i * 10 + 2 * p + 1]);
      ring.push([lon, lat]);
      w = Math.min(w, lon); e = Math.max(e, lon); s = Math.min(s, lat); n = Math.max(n, lat);
    }
    const t = tileRef(table, i);
    return {
      type: 'Feature',
      id: tiles.tileId[i],
      geometry: { type: 'Polygon', coordinates: [ring] },
      properties: {
        tile: t.tile, row: t.row, col: t.col, scene_id: t.sceneId, date: t.date, mgrs_tile: t.mgrsTile, model_id: modelId,
        valid_fraction: t.validFraction, cloud_fraction: t.cloudFraction, shadow_fraction: t.shadowFraction,
        snow_fraction: t.snowFraction, nodata_fraction: t.nodataFraction,
        ...properties,
      },
    };
  });
  return { type: 'FeatureCollection', ...(features.length ? { bbox: [w, s, e, n] as [number, number, number, number] } : {}), features };
}

export async function writeGeoJson(path: string, fc: FeatureCollection): Promise<string> {
  const target = resolve(path);
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    await mkdir(dirname(target), { recursive: true });
    await writeFile(tmp, `${JSON.stringify(fc)}\n`);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new MslensError('BAD_ARGUMENT', `Could not write ${path}: ${(err as Error).message}. Choose a writable location.`, { path }, { cause: err });
  }
  return target;
}
