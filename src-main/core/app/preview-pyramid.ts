/**
 * The levels of a preview image, built as its rows arrive. Level 0 comes one strip (one row of
 * tiles) at a time, as float means with the count of valid scene pixels behind each (0 and NaN
 * where none was valid); each finished strip is cut into tiles for the writer and averaged 2 × 2,
 * weighted by those counts, into the next level's strip. So every level is streamed through one
 * strip of memory, and every overview pixel is the exact mean of the valid scene pixels under it
 * (what GDAL's `average` gives from the full image), rounded once.
 */
import type { TileData, WriterLevel } from '../scene/geotiff-writer.ts';

export interface PyramidOptions {
  /** Level 0 and its overviews, as the writer lays them out. */
  levels: readonly WriterLevel[];
  tileSize: number;
  bands: number;
  /** A new tile of the file's sample type (tileSize² × bands samples). */
  newTile(): TileData;
  /** Rounds means to whole numbers (integer files). */
  integer: boolean;
  /** Written where no pixel was valid, and in the padding of edge tiles. */
  fill: number;
  /** Hands a finished tile to the writer; the tile is not touched again. */
  write(level: number, tileX: number, tileY: number, tile: TileData): Promise<void>;
}

/** One strip: per band, tileSize rows × width of means and of the valid scene pixels behind them. */
export interface Strip {
  means: Float32Array[];
  counts: Float32Array[];
}

interface LevelState extends Strip {
  width: number;
  height: number;
  /** Rows of the strip filled so far. */
  rows: number;
  /** The tile row the strip becomes. */
  tileRow: number;
}

export class PreviewPyramid {
  readonly #o: PyramidOptions;
  readonly #levels: LevelState[];

  constructor(opts: PyramidOptions) {
    this.#o = opts;
    this.#levels = opts.levels.map((l) => ({
      width: l.width,
      height: l.height,
      means: Array.from({ length: opts.bands }, () => new Float32Array(opts.tileSize * l.width)),
      counts: Array.from({ length: opts.bands }, () => new Float32Array(opts.tileSize * l.width)),
      rows: 0,
      tileRow: 0,
    }));
  }

  /** Level 0's strip, for the caller to fill. */
  get strip(): Strip {
    return this.#levels[0];
  }

  /** Level 0's strip now holds `rows` rows (tileSize, or fewer for the last strip): write it and its overviews. */
  async commit(rows: number): Promise<void> {
    this.#levels[0].rows = rows;
    const writes: Promise<void>[] = [];
    this.#flush(0, writes);
    await Promise.all(writes);
  }

  #flush(k: number, writes: Promise<void>[]): void {
    const level = this.#levels[k];
    const { tileSize: T, bands, integer, fill } = this.#o;
    const { width: w, rows } = level;
    const across = Math.ceil(w / T);
    for (let tx = 0; tx < across; tx++) {
      const tile = this.#o.newTile().fill(fill);
      const x0 = tx * T;
      const cols = Math.min(T, w - x0);
      for (let b = 0; b < bands; b++) {
        const plane = level.means[b];
        for (let y = 0; y < rows; y++) {
          let src = y * w + x0;
          let dst = y * T * bands + b;
          for (let x = 0; x < cols; x++, src++, dst += bands) {
            const v = plane[src];
            tile[dst] = v !== v ? fill : integer ? Math.round(v) : v;
          }
        }
      }
      writes.push(this.#o.write(k, tx, level.tileRow, tile));
    }
    level.tileRow++;
    level.rows = 0;
    const next = this.#levels[k + 1];
    if (!next) return;
    next.rows += halve(level, w, rows, next, next.width, next.rows);
    const nextDone = next.tileRow * T + next.rows;
    if (next.rows === T || nextDone === next.height) this.#flush(k + 1, writes);
  }
}

/**
 * Averages `rows` rows of `src` (width `w`) 2 × 2 into `dst` (width `dw`) from row `at`,
 * weighting each mean by its count; returns the rows written. Edge pixels average what they cover.
 */
function halve(src: Strip, w: number, rows: number, dst: Strip, dw: number, at: number): number {
  const out = Math.ceil(rows / 2);
  for (let b = 0; b < src.means.length; b++) {
    const s = src.means[b];
    const c = src.counts[b];
    const d = dst.means[b];
    const dc = dst.counts[b];
    for (let j = 0; j < out; j++) {
      const r0 = 2 * j * w;
      const r1 = 2 * j + 1 < rows ? r0 + w : -1;
      const o = (at + j) * dw;
      for (let i = 0; i < dw; i++) {
        const c0 = 2 * i;
        const c1 = c0 + 1 < w ? c0 + 1 : -1;
        let sum = 0;
        let n = 0;
        let k = r0 + c0;
        if (c[k] > 0) { sum += s[k] * c[k]; n += c[k]; }
        if (c1 >= 0) { k = r0 + c1; if (c[k] > 0) { sum += s[k] * c[k]; n += c[k]; } }
        if (r1 >= 0) {
          k = r1 + c0;
          if (c[k] > 0) { sum += s[k] * c[k]; n += c[k]; }
          if (c1 >= 0) { k = r1 + c1; if (c[k] > 0) { sum += s[k] * c[k]; n += c[k]; } }
        }
        d[o + i] = n > 0 ? sum / n : Number.NaN;
        dc[o + i] = n;
      }
    }
  }
  return out;
}

/**
 * Box-averages a window of source planes (sw × sh) by `factor` into `dst` (width `dw`) at column
 * `dx`, rows from 0: each output pixel is the mean of the valid source pixels of its
 * factor × factor block (fewer at the window's right and bottom edges), with their count; NaN
 * and 0 when none is valid. Source pixels equal to `nodata`, or NaN, are not valid.
 */
export function boxAverage(src: readonly Float32Array[], sw: number, sh: number, factor: number, nodata: number | null, dst: Strip, dw: number, dx: number): void {
  const ow = Math.ceil(sw / factor);
  const oh = Math.ceil(sh / factor);
  const nd = nodata ?? Number.NaN;
  const sum = new Float64Array(ow);
  const count = new Uint32Array(ow);
  for (let b = 0; b < src.length; b++) {
    const s = src[b];
    const d = dst.means[b];
    const dc = dst.counts[b];
    for (let oy = 0; oy < oh; oy++) {
      sum.fill(0);
      count.fill(0);
      const yEnd = Math.min(sh, (oy + 1) * factor);
      for (let y = oy * factor; y < yEnd; y++) {
        const row = y * sw;
        let x = 0;
        for (let ox = 0; ox < ow; ox++) {
          const xEnd = Math.min(sw, x + factor);
          let acc = 0;
          let n = 0;
          for (; x < xEnd; x++) {
            const v = s[row + x];
            if (v === v && v !== nd) { acc += v; n++; }
          }
          sum[ox] += acc;
          count[ox] += n;
        }
      }
      const o = oy * dw + dx;
      for (let ox = 0; ox < ow; ox++) {
        d[o + ox] = count[ox] > 0 ? sum[ox] / count[ox] : Number.NaN;
        dc[o + ox] = count[ox];
      }
    }
  }
}
