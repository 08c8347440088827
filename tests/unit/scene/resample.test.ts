// The resampler's fast paths (row ring, 2× tap pattern, two rows per pass, nodata patching)
// against the plain per-pixel definition of bilinear interpolation with nodata left out.
import { describe, expect, test } from 'vitest';
import { planAxis, resampleWindow, ringSize, type AxisPlan } from '../../../src-main/core/scene/resample.ts';

const NODATA = 0;

/** Output pixel (i, j) from its four taps, as the resampler defines it. */
function reference(src: Float32Array, sw: number, px: AxisPlan, py: AxisPlan, i: number, j: number, nodata: number | null): number {
  const [c0, c1, fx] = [px.lo[i], px.hi[i], px.w[i]];
  const [r0, r1, fy] = [py.lo[j], py.hi[j], py.w[j]];
  const v00 = src[r0 * sw + c0];
  const v01 = src[r0 * sw + c1];
  const v10 = src[r1 * sw + c0];
  const v11 = src[r1 * sw + c1];
  const oneRow = fy === 0 || r0 === r1;
  const taps = oneRow ? [v00, v01] : [v00, v01, v10, v11];
  if (nodata === null || !taps.includes(nodata)) {
    const top = Math.fround(v00 + (v01 - v00) * fx);
    return Math.fround(oneRow ? top : top + (Math.fround(v10 + (v11 - v10) * fx) - top) * fy);
  }
  const w = [(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy].map((x, k) => ([v00, v01, v10, v11][k] === nodata ? 0 : x));
  const sum = w[0] + w[1] + w[2] + w[3];
  return Math.fround(sum > 0 ? (v00 * w[0] + v01 * w[1] + v10 * w[2] + v11 * w[3]) / sum : nodata);
}

/** A deterministic pseudo-random source window (no nodata values unless holes are punched). */
function sourceWindow(sw: number, sh: number, seed: number): Float32Array {
  let x = seed;
  return Float32Array.from({ length: sw * sh }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 1 + (x % 10000);
  });
}

interface Case {
  name: string;
  /** Output window on the 10 m grid. */
  win: { x: number; y: number; width: number; height: number };
  /** Source pixel size (m) and size (px); the source shares the 10 m grid's origin. */
  res: number;
  size: number;
  nearest?: boolean;
}

const cases: Case[] = [
  { name: '20 m, window at the scene origin', win: { x: 0, y: 0, width: 224, height: 224 }, res: 20, size: 1000 },
  { name: '20 m, odd offsets', win: { x: 333, y: 101, width: 97, height: 53 }, res: 20, size: 1000 },
  { name: '20 m, at the far edge', win: { x: 1900, y: 1950, width: 100, height: 50 }, res: 20, size: 1000 },
  { name: '60 m', win: { x: 17, y: 40, width: 150, height: 90 }, res: 60, size: 334 },
  { name: 'uneven ratio (2240 px onto 38)', win: { x: 5, y: 3, width: 200, height: 70 }, res: 22400 / 38, size: 38 },
  { name: 'nearest (SCL)', win: { x: 11, y: 7, width: 120, height: 60 }, res: 20, size: 1000, nearest: true },
];

function run(c: Case, holes: (src: Float32Array, sw: number, sh: number) => void, nodata: number | null) {
  const px = planAxis(c.win.x, c.win.width, 0, 10, 0, c.res, c.size, !!c.nearest);
  const py = planAxis(c.win.y, c.win.height, 0, -10, 0, -c.res, c.size, !!c.nearest);
  const src = sourceWindow(px.count, py.count, c.win.x * 31 + c.win.y);
  holes(src, px.count, py.count);
  const out = new Float32Array(c.win.width * c.win.height).fill(-1);
  resampleWindow(src, px.count, px, py, out, c.win.width, new Float32Array(ringSize(c.win.width)), nodata, nodata);
  const want = new Float32Array(out.length);
  for (let j = 0; j < c.win.height; j++) for (let i = 0; i < c.win.width; i++) want[j * c.win.width + i] = reference(src, px.count, px, py, i, j, nodata);
  return { out, want, src };
}

describe('resampleWindow', () => {
  test.each(cases)('$name: every pixel as the per-pixel definition', (c) => {
    const { out, want } = run(c, () => {}, NODATA);
    expect(out).toEqual(want);
  });

  test.each(cases)('$name, with nodata holes: only the taps that are nodata are left out', (c) => {
    const { out, want, src } = run(c, (s, sw, sh) => {
      // A nodata corner (an orbit edge), a run along one row, scattered pixels.
      for (let y = 0; y < Math.ceil(sh / 3); y++) for (let x = 0; x < Math.ceil(sw / 4); x++) s[y * sw + x] = NODATA;
      for (let x = Math.floor(sw / 2); x < Math.min(sw, Math.floor(sw / 2) + 7); x++) s[Math.floor(sh / 2) * sw + x] = NODATA;
      for (let k = 0; k < s.length; k += 97) s[k] = NODATA;
    }, NODATA);
    expect(out).toEqual(want);
    expect(src.includes(NODATA)).toBe(true);
    expect(out.includes(NODATA)).toBe(true); // the corner has outputs with no valid tap
  });

  test('without a nodata value, zeros are data', () => {
    const c = cases[1];
    const { out, want } = run(c, (s) => { for (let k = 0; k < s.length; k += 13) s[k] = 0; }, null);
    expect(out).toEqual(want);
  });

  test('an aligned 2× plan interpolates a quarter pixel either side of each source centre', () => {
    const px = planAxis(0, 6, 0, 10, 0, 20, 3, false);
    expect(Array.from(px.lo)).toEqual([0, 0, 0, 1, 1, 2]);
    expect(Array.from(px.hi)).toEqual([0, 1, 1, 2, 2, 2]);
    expect(Array.from(px.w)).toEqual([0.75, 0.25, 0.75, 0.25, 0.75, 0.25]);
  });
});
