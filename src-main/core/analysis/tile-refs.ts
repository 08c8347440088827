import type { IndexTiles } from '../index/index-store.ts';
import { footprintBbox } from '../index/wkb.ts';

/** How a tile appears in every result: the same id, position and box everywhere. */
export interface TileRef {
  tile: string;
  sceneId: string;
  row: number;
  col: number;
  /** [west, south, east, north] in degrees. */
  bbox: [number, number, number, number];
  validFraction: number;
  cloudFraction: number | null;
}

export function tileRef(t: IndexTiles, i: number): TileRef {
  const [w, s, e, n] = footprintBbox(t.footprint.subarray(i * 10, i * 10 + 10))!;
  const round = (v: number): number => Math.round(v * 1e7) / 1e7;
  const cloud = t.cloudFraction[i];
  return {
    tile: t.tileId[i], sceneId: t.sceneId[i], row: t.row[i], col: t.col[i],
    bbox: [round(w), round(s), round(e), round(n)],
    validFraction: Math.round(t.validFraction[i] * 1e4) / 1e4,
    cloudFraction: Number.isFinite(cloud) ? Math.round(cloud * 1e4) / 1e4 : null,
  };
}
