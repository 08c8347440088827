/**
 * GeoJSON export (RFC 7946): one Polygon feature per tile, lon/lat in EPSG:4326, exterior
 * rings counter-clockwise, coordinates rounded to 1e-7° (about 1 cm).
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { MslensError } from '../errors.ts';
import type { IndexTiles } from '../index/index-store.ts';

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

export function tilesToGeoJson(tiles: IndexTiles, modelId: string, rows: readonly ExportRow[]): FeatureCollection {
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
    return {
      type: 'Feature',
      id: tiles.tileId[i],
      geometry: { type: 'Polygon', coordinates: [ring] },
      properties: { tile: tiles.tileId[i], row: tiles.row[i], col: tiles.col[i], scene_id: tiles.sceneId[i], model_id: modelId, ...properties },
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
