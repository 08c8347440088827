/**
 * The tile grid over a scene: whole tiles only (a 10980 px scene with 224 px tiles has 49 × 49),
 * addressed by row and column, with stable ids and footprints in the scene CRS and EPSG:4326.
 */
import proj4 from 'proj4';
import { MslensError } from '../errors.ts';
import type { Crs, GeoTransform, PixelWindow } from '../scene/types.ts';

export interface TileGridOptions {
  /** Tile edge in pixels at 10 m. @default 224 */
  size?: number;
  /** Step between tile origins in pixels. @default size */
  stride?: number;
}

export interface Tile {
  id: string;
  row: number;
  col: number;
  window: PixelWindow;
}

export interface TileGrid {
  size: number;
  stride: number;
  rows: number;
  cols: number;
  count: number;
  tile(row: number, col: number): Tile;
}

export function tileId(row: number, col: number): string {
  return `r${String(row).padStart(3, '0')}c${String(col).padStart(3, '0')}`;
}

export function parseTileId(id: string): { row: number; col: number } | null {
  const m = /^r(\d{3,})c(\d{3,})$/.exec(id);
  return m ? { row: Number(m[1]), col: Number(m[2]) } : null;
}

export function makeTileGrid(scene: { width: number; height: number }, opts: TileGridOptions = {}): TileGrid {
  const size = opts.size ?? 224;
  const stride = opts.stride ?? size;
  if (!Number.isInteger(size) || size < 16 || size > 4096) throw new MslensError('BAD_ARGUMENT', `Tile size must be a whole number of pixels from 16 to 4096, not ${size}.`, { size });
  if (!Number.isInteger(stride) || stride < 1 || stride > 4 * size) throw new MslensError('BAD_ARGUMENT', `Stride must be a whole number of pixels from 1 to ${4 * size}, not ${stride}.`, { stride });
  if (scene.width < size || scene.height < size) {
    throw new MslensError('BAD_ARGUMENT', `The scene (${scene.width}×${scene.height} px) is smaller than one ${size} px tile.`, { size }, { action: { kind: 'option', name: 'tile', change: 'smaller' } });
  }
  const cols = Math.floor((scene.width - size) / stride) + 1;
  const rows = Math.floor((scene.height - size) / stride) + 1;
  return {
    size, stride, rows, cols, count: rows * cols,
    tile: (row, col) => ({ id: tileId(row, col), row, col, window: { x: col * stride, y: row * stride, width: size, height: size } }),
  };
}

/** Corners of a pixel window in scene coordinates: UL, LL, LR, UR. */
export function windowCorners(win: PixelWindow, t: GeoTransform): [number, number][] {
  const at = (px: number, py: number): [number, number] => [t[0] + px * t[1] + py * t[2], t[3] + px * t[4] + py * t[5]];
  return [at(win.x, win.y), at(win.x, win.y + win.height), at(win.x + win.width, win.y + win.height), at(win.x + win.width, win.y)];
}

/**
 * A closed lon/lat ring (5 points, 10 numbers) of a window, counter-clockwise as RFC 7946
 * asks for exterior rings.
 */
export function makeFootprinter(crs: Crs, transform: GeoTransform): (win: PixelWindow, out?: Float64Array, offset?: number) => Float64Array {
  const toWgs84 = crs.epsg === 4326 ? (p: [number, number]) => p : proj4(crs.proj4, 'EPSG:4326').forward;
  return (win, out = new Float64Array(10), offset = 0) => {
    const corners = windowCorners(win, transform).map((p) => toWgs84(p) as [number, number]);
    // UL → LL → LR → UR is counter-clockwise when north is up; flip if the transform mirrors.
    const area = corners.reduce((s, p, i) => { const q = corners[(i + 1) % 4]; return s + (p[0] * q[1] - q[0] * p[1]); }, 0);
    const ring = area >= 0 ? corners : [corners[0], corners[3], corners[2], corners[1]];
    [...ring, ring[0]].forEach((p, i) => { out[offset + 2 * i] = p[0]; out[offset + 2 * i + 1] = p[1]; });
    return out;
  };
}
