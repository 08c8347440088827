/**
 * Per-tile mask fractions from the Sentinel-2 L2A scene classification layer (SCL), counted
 * over all of a tile's pixels:
 *   cloud   8 cloud medium probability, 9 cloud high probability, 10 thin cirrus
 *   shadow  3 cloud shadows
 *   snow    11 snow or ice
 *   nodata  0 no data, 1 saturated or defective
 * (Sen2Cor SCL legend, Sentinel-2 L2A Product Definition Document.) Values outside 0–255, which
 * only a scene nodata value can produce, count as nodata. One pass over the tile's pixels with a
 * lookup table and no allocation: about 1 s of a full 10980 px scene's indexing.
 */

/** Tiles with a larger cloud fraction are skipped unless the caller or the settings say otherwise. */
export const DEFAULT_MAX_CLOUD = 0.5;

/** Slots of one tile's fractions, in the order the index stores them. */
export const MASK_FRACTIONS = ['cloud', 'shadow', 'snow', 'nodata'] as const;
export type MaskFraction = (typeof MASK_FRACTIONS)[number];
/** Numbers per tile in a fractions array. */
export const MASK_COUNT = MASK_FRACTIONS.length;

const CLEAR = 0;
const CLOUD = 1;
const SHADOW = 2;
const SNOW = 3;
const NODATA = 4;

/** SCL code → counter slot (CLEAR for every class that is none of the four). */
const SLOT_OF_CODE = new Uint8Array(256);
SLOT_OF_CODE[0] = NODATA;
SLOT_OF_CODE[1] = NODATA;
SLOT_OF_CODE[3] = SHADOW;
SLOT_OF_CODE[8] = CLOUD;
SLOT_OF_CODE[9] = CLOUD;
SLOT_OF_CODE[10] = CLOUD;
SLOT_OF_CODE[11] = SNOW;

const counts = new Int32Array(5);

/**
 * Writes the cloud, shadow, snow and nodata fractions of the `width` × `height` tile whose left
 * edge is column `x0` of an SCL strip (`stripWidth` wide, rows from the strip's top) into
 * `out[at .. at + 4)`.
 */
export function sclFractions(scl: Float32Array, stripWidth: number, x0: number, width: number, height: number, out: Float32Array, at: number): void {
  counts.fill(0);
  for (let y = 0; y < height; y++) {
    const row = y * stripWidth + x0;
    for (let p = row, end = row + width; p < end; p++) {
      // NaN | 0 is 0 (no data); negative and > 255 values fail the unsigned test.
      const code = scl[p] | 0;
      counts[code >>> 0 < 256 ? SLOT_OF_CODE[code] : NODATA]++;
    }
  }
  const n = width * height;
  out[at] = counts[CLOUD] / n;
  out[at + 1] = counts[SHADOW] / n;
  out[at + 2] = counts[SNOW] / n;
  out[at + 3] = counts[NODATA] / n;
}

/** Marks a tile's fractions as unknown (the scene has no SCL): NaN, never 0. */
export function unknownFractions(out: Float32Array, at: number): void {
  out.fill(Number.NaN, at, at + MASK_COUNT);
}

/** True when a tile's cloud fraction is above the threshold (unknown fractions never are). */
export function isCloudy(fractions: Float32Array, at: number, maxCloud: number): boolean {
  return fractions[at] > maxCloud;
}
