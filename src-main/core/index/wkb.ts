/**
 * ISO WKB for tile footprints: one Polygon with one closed five-point ring per tile, little-endian,
 * 2D. Every record has the same size, so a column of them is one buffer plus regular offsets.
 */

/** Coordinates per footprint: 5 points (4 corners + the first repeated) × (x, y). */
export const FOOTPRINT_COORDS = 10;

/** byte order (1) + geometry type (4) + ring count (4) + point count (4) + 10 doubles (80). */
export const WKB_POLYGON_BYTES = 1 + 4 + 4 + 4 + FOOTPRINT_COORDS * 8;

const WKB_LITTLE_ENDIAN = 1;
const WKB_POLYGON = 3;
const COORDS_AT = 13;

export interface WkbColumn {
  /** Concatenated WKB records. */
  data: Uint8Array;
  /** n + 1 offsets into `data` (Arrow Binary layout). */
  offsets: Int32Array;
}

/** Encodes rows [from, to) of an N × 10 footprint array as WKB Polygons. */
export function encodeFootprints(footprint: Float64Array, from: number, to: number): WkbColumn {
  const n = to - from;
  const data = new Uint8Array(n * WKB_POLYGON_BYTES);
  const offsets = new Int32Array(n + 1);
  const view = new DataView(data.buffer);
  for (let i = 0; i < n; i++) {
    const at = i * WKB_POLYGON_BYTES;
    offsets[i] = at;
    view.setUint8(at, WKB_LITTLE_ENDIAN);
    view.setUint32(at + 1, WKB_POLYGON, true);
    view.setUint32(at + 5, 1, true);
    view.setUint32(at + 9, FOOTPRINT_COORDS / 2, true);
    const src = (from + i) * FOOTPRINT_COORDS;
    for (let k = 0; k < FOOTPRINT_COORDS; k++) view.setFloat64(at + COORDS_AT + 8 * k, footprint[src + k], true);
  }
  offsets[n] = n * WKB_POLYGON_BYTES;
  return { data, offsets };
}

/**
 * Decodes `n` WKB Polygons written by `encodeFootprints` (Arrow Binary layout: `data` plus n + 1
 * `offsets`) into `out` starting at row `outRow`. Returns a reason when a record is anything else
 * (another geometry type, big-endian, a hole, a ring that is not five points), else undefined.
 */
export function decodeFootprints(
  data: Uint8Array,
  offsets: Int32Array,
  n: number,
  out: Float64Array,
  outRow: number,
): string | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < n; i++) {
    const at = offsets[i];
    if (offsets[i + 1] - at !== WKB_POLYGON_BYTES || at < 0 || at + WKB_POLYGON_BYTES > data.byteLength) {
      return `geometry of row ${outRow + i} is not a 4-corner polygon`;
    }
    if (
      view.getUint8(at) !== WKB_LITTLE_ENDIAN ||
      view.getUint32(at + 1, true) !== WKB_POLYGON ||
      view.getUint32(at + 5, true) !== 1 ||
      view.getUint32(at + 9, true) !== FOOTPRINT_COORDS / 2
    ) {
      return `geometry of row ${outRow + i} is not a little-endian WKB polygon with one 5-point ring`;
    }
    const dst = (outRow + i) * FOOTPRINT_COORDS;
    for (let k = 0; k < FOOTPRINT_COORDS; k++) out[dst + k] = view.getFloat64(at + COORDS_AT + 8 * k, true);
  }
  return undefined;
}

/** [minx, miny, maxx, maxy] over all footprints, or undefined when there are none. */
export function footprintBbox(footprint: Float64Array): [number, number, number, number] | undefined {
  if (footprint.length === 0) return undefined;
  let minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
  for (let i = 0; i < footprint.length; i += 2) {
    const x = footprint[i], y = footprint[i + 1];
    if (x < minx) minx = x;
    if (x > maxx) maxx = x;
    if (y < miny) miny = y;
    if (y > maxy) maxy = y;
  }
  return [minx, miny, maxx, maxy];
}
