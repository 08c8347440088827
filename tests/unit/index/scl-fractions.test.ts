// The per-tile SCL mask fractions: which codes count as what, the tile window inside a strip, unknowns.
import { describe, expect, test } from 'vitest';
import { isCloudy, MASK_COUNT, MASK_FRACTIONS, sclFractions, unknownFractions } from '../../../src-main/core/index/scl-fractions.ts';

/** A strip `width` wide and `height` tall of vegetation (4), with `paint` applied as [x, y, code]. */
function strip(width: number, height: number, paint: [number, number, number][] = []): Float32Array {
  const s = new Float32Array(width * height).fill(4);
  for (const [x, y, code] of paint) s[y * width + x] = code;
  return s;
}

describe('sclFractions', () => {
  test('cloud is 8, 9 and 10; shadow 3; snow 11; nodata 0 and 1; every other class counts for none', () => {
    // A 4 × 4 tile holding each code 0..15 once.
    const s = strip(4, 4, Array.from({ length: 16 }, (_, k): [number, number, number] => [k % 4, Math.floor(k / 4), k]));
    const out = new Float32Array(MASK_COUNT);
    sclFractions(s, 4, 0, 4, 4, out, 0);
    expect(MASK_FRACTIONS).toEqual(['cloud', 'shadow', 'snow', 'nodata']);
    expect(Array.from(out)).toEqual([3 / 16, 1 / 16, 1 / 16, 2 / 16].map(Math.fround));
  });

  test('only the tile window counts: columns x0 .. x0 + width of every row of the strip', () => {
    const width = 12;
    // Clouds left and right of the tile (columns 4..7), shadow inside it on two rows.
    const s = strip(width, 4, [[3, 0, 9], [8, 1, 9], [11, 3, 9], [4, 0, 3], [7, 3, 3]]);
    const out = new Float32Array(2 * MASK_COUNT).fill(-1);
    sclFractions(s, width, 4, 4, 4, out, MASK_COUNT);
    expect(Array.from(out.subarray(0, MASK_COUNT))).toEqual([-1, -1, -1, -1]); // slot before: untouched
    expect(Array.from(out.subarray(MASK_COUNT))).toEqual([0, 2 / 16, 0, 0]);
  });

  test('values a scene nodata can put in the SCL (negative, huge, NaN) are nodata', () => {
    const s = strip(4, 1, [[0, 0, -9999], [1, 0, 65535], [2, 0, Number.NaN]]);
    const out = new Float32Array(MASK_COUNT);
    sclFractions(s, 4, 0, 4, 1, out, 0);
    expect(out[3]).toBe(0.75);
  });
});

describe('unknown fractions and the cloud threshold', () => {
  test('without SCL the fractions are NaN, never 0, and never cloudy', () => {
    const out = new Float32Array(2 * MASK_COUNT);
    unknownFractions(out, MASK_COUNT);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, NaN, NaN, NaN, NaN]);
    expect(isCloudy(out, MASK_COUNT, 0)).toBe(false);
  });

  test('a tile is cloudy only above the threshold', () => {
    const f = Float32Array.of(0.5, 0, 0, 0);
    expect(isCloudy(f, 0, 0.5)).toBe(false);
    expect(isCloudy(f, 0, 0.49)).toBe(true);
    expect(isCloudy(f, 0, 1)).toBe(false);
  });
});
