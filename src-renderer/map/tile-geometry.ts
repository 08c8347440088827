/**
 * Tiles on the map, exactly: the scene's affine transform maps a tile's pixel window to a
 * rectangle in the scene's CRS, which is the map's projection while the scene is open.
 */
import type { SceneSummary } from '$api';

export type Ring = [number, number][];

export interface TileGeometry {
  size: number;
  stride: number;
  rows: number;
  cols: number;
  /** Closed ring of the tile in map coordinates. */
  ring(row: number, col: number): Ring;
  /** The scene's outline in map coordinates. */
  footprint(): Ring;
  /** The tile under a map coordinate, or null outside the grid. */
  tileAt(x: number, y: number): { row: number; col: number } | null;
}

export function tileIdOf(row: number, col: number): string {
  return `r${String(row).padStart(3, '0')}c${String(col).padStart(3, '0')}`;
}

export function parseTileId(id: string): { row: number; col: number } | null {
  const m = /(?:^|\/)r(\d{3,})c(\d{3,})$/.exec(id);
  return m ? { row: Number(m[1]), col: Number(m[2]) } : null;
}

export function makeTileGeometry(scene: SceneSummary, tiling: { size: number; stride: number } = { size: scene.tiles.size, stride: scene.tiles.size }): TileGeometry {
  const [t0, t1, t2, t3, t4, t5] = scene.transform;
  const { size, stride } = tiling;
  const cols = Math.floor((scene.width - size) / stride) + 1;
  const rows = Math.floor((scene.height - size) / stride) + 1;
  const at = (px: number, py: number): [number, number] => [t0 + px * t1 + py * t2, t3 + px * t4 + py * t5];
  const rect = (x: number, y: number, w: number, h: number): Ring => [at(x, y), at(x, y + h), at(x + w, y + h), at(x + w, y), at(x, y)];
  const det = t1 * t5 - t2 * t4;
  return {
    size, stride, rows, cols,
    ring: (row, col) => rect(col * stride, row * stride, size, size),
    footprint: () => rect(0, 0, scene.width, scene.height),
    tileAt(x, y) {
      const dx = x - t0;
      const dy = y - t3;
      const px = (t5 * dx - t2 * dy) / det;
      const py = (-t4 * dx + t1 * dy) / det;
      if (px < 0 || py < 0) return null;
      // With overlapping tiles, the tile whose centre is nearest.
      const col = Math.min(cols - 1, Math.max(0, Math.round((px - size / 2) / stride)));
      const row = Math.min(rows - 1, Math.max(0, Math.round((py - size / 2) / stride)));
      const inside = px >= col * stride && px < col * stride + size && py >= row * stride && py < row * stride + size;
      return inside ? { row, col } : null;
    },
  };
}
