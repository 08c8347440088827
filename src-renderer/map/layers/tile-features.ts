/** OpenLayers features for tiles, built from the scene's exact tile geometry. */
import Feature from 'ol/Feature.js';
import Polygon from 'ol/geom/Polygon.js';
import { parseTileId, type TileGeometry } from '../tile-geometry';

export type TileProps = Record<string, string | number | boolean>;

/** One polygon feature per tile id (ids the grid does not have are skipped). */
export function tileFeatures(geometry: TileGeometry, tiles: readonly { tile: string; props: TileProps }[]): Feature<Polygon>[] {
  const out: Feature<Polygon>[] = [];
  for (const { tile, props } of tiles) {
    const rc = parseTileId(tile);
    if (!rc || rc.row >= geometry.rows || rc.col >= geometry.cols) continue;
    const f = new Feature({ geometry: new Polygon([geometry.ring(rc.row, rc.col)]), tile, ...props });
    f.setId(tile);
    out.push(f);
  }
  return out;
}
