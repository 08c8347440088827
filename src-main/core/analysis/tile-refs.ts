import type { TileTable } from '../index/index-collection.ts';
import { footprintBbox } from '../index/wkb.ts';

/** How a tile appears in every result: the same id, position, box and facts everywhere. */
export interface TileRef {
  tile: string;
  sceneId: string;
  /** The scene's acquisition date (YYYY-MM-DD), when known. */
  date: string | null;
  /** The scene's MGRS tile id (e.g. "33UUP"), when known. */
  mgrsTile: string | null;
  row: number;
  col: number;
  /** [west, south, east, north] in degrees. */
  bbox: [number, number, number, number];
  validFraction: number;
  /** Fractions of the tile's pixels the scene's SCL layer calls cloud, cloud shadow, snow and nodata; null without SCL. */
  cloudFraction: number | null;
  shadowFraction: number | null;
  snowFraction: number | null;
  nodataFraction: number | null;
}

const fraction = (v: number): number | null => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : null);

export function tileRef(table: TileTable, i: number): TileRef {
  const t = table.tiles;
  const meta = table.metas[table.sceneOf[i]];
  const [w, s, e, n] = footprintBbox(t.footprint.subarray(i * 10, i * 10 + 10))!;
  const round = (v: number): number => Math.round(v * 1e7) / 1e7;
  return {
    tile: t.tileId[i], sceneId: t.sceneId[i], date: meta.date ?? null, mgrsTile: meta.mgrsTile ?? null,
    row: t.row[i], col: t.col[i],
    bbox: [round(w), round(s), round(e), round(n)],
    validFraction: Math.round(t.validFraction[i] * 1e4) / 1e4,
    cloudFraction: fraction(t.cloudFraction[i]),
    shadowFraction: fraction(t.shadowFraction[i]),
    snowFraction: fraction(t.snowFraction[i]),
    nodataFraction: fraction(t.nodataFraction[i]),
  };
}
