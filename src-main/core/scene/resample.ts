/**
 * Bilinear (and nearest) resampling of a source window onto the scene's 10 m grid, for bands
 * stored coarser (20 m, 60 m). See band-files-source.ts for the pixel-centre convention.
 *
 * Output rows are made in order from horizontally interpolated source rows, kept in a ring of
 * two row buffers: each source row is interpolated along x once, and the intermediate stays in
 * cache instead of a strip-sized buffer. For the 2× case (20 m bands) the taps along x follow a
 * period-2 pattern, which the inner loop uses instead of looking up per-pixel taps. Pixels with
 * a nodata tap are then made again from four taps, leaving nodata out (GDAL's behaviour); where
 * all four taps are valid that gives the same float32 steps, so no value depends on the path.
 */

/** Per output pixel along one axis: the two source taps (window-local) and the weight of the second. */
export interface AxisPlan {
  /** First source pixel the taps use, and how many. */
  start: number;
  count: number;
  lo: Int32Array;
  hi: Int32Array;
  w: Float32Array;
}

/**
 * Maps output pixels first..first+n-1 (origin o, pixel size d) onto a source axis (origin so,
 * pixel size sd, n pixels): u = (o + (i + ½)·d − so)/sd − ½, clamped to the edge pixels.
 */
export function planAxis(first: number, n: number, o: number, d: number, so: number, sd: number, size: number, nearest: boolean): AxisPlan {
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  const w = new Float32Array(n);
  const clamp = (k: number): number => (k < 0 ? 0 : k >= size ? size - 1 : k);
  for (let k = 0; k < n; k++) {
    const u = (o + (first + k + 0.5) * d - so) / sd - 0.5;
    if (nearest) {
      lo[k] = hi[k] = clamp(Math.floor(u + 0.5));
      continue;
    }
    const f = Math.floor(u);
    lo[k] = clamp(f);
    hi[k] = clamp(f + 1);
    w[k] = u - f;
  }
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < n; k++) {
    min = Math.min(min, lo[k], hi[k]);
    max = Math.max(max, lo[k], hi[k]);
  }
  for (let k = 0; k < n; k++) {
    lo[k] -= min;
    hi[k] -= min;
  }
  return { start: min, count: max - min + 1, lo, hi, w };
}

/** Outputs [a, b) whose taps step by one source pixel every two outputs, with two alternating weights. */
function pairRun(p: AxisPlan): { a: number; b: number } {
  const { lo, hi, w } = p;
  const n = lo.length;
  let a = 0;
  while (a < n && hi[a] !== lo[a] + 1) a++;
  if (a + 1 >= n || hi[a + 1] !== lo[a + 1] + 1) return { a: 0, b: 0 };
  let b = a + 2;
  while (b < n && lo[b] === lo[b - 2] + 1 && hi[b] === lo[b] + 1 && w[b] === w[b - 2]) b++;
  b = a + ((b - a) & ~1);
  return b - a >= 4 ? { a, b } : { a: 0, b: 0 };
}

/** Source row `s0` (offset into src) interpolated along x into dst[0..n). */
function lerpRow(src: Float32Array, s0: number, px: AxisPlan, run: { a: number; b: number }, dst: Float32Array): void {
  const { lo, hi, w } = px;
  const n = lo.length;
  const { a, b } = run;
  for (let i = 0; i < a; i++) {
    const v = src[s0 + lo[i]];
    dst[i] = v + (src[s0 + hi[i]] - v) * w[i];
  }
  if (b > a) {
    const l0 = s0 + lo[a];
    const l1 = s0 + lo[a + 1];
    const w0 = w[a];
    const w1 = w[a + 1];
    for (let i = a, m = 0; i < b; i += 2, m++) {
      const p = src[l0 + m];
      dst[i] = p + (src[l0 + m + 1] - p) * w0;
      const q = src[l1 + m];
      dst[i + 1] = q + (src[l1 + m + 1] - q) * w1;
    }
  }
  for (let i = Math.max(a, b); i < n; i++) {
    const v = src[s0 + lo[i]];
    dst[i] = v + (src[s0 + hi[i]] - v) * w[i];
  }
}

/** Row buffers the resampler may reuse between calls: at least 2 × output width. */
export function ringSize(outWidth: number): number {
  return 2 * outWidth;
}

/**
 * Resamples src (sw wide, the window planAxis gave) onto out (ow wide, py.lo.length rows).
 * `ring` holds at least ringSize(ow) floats. Source pixels equal to `nodata` are left out; an
 * output pixel with no valid tap is `outNodata` (or `nodata`).
 */
export function resampleWindow(src: Float32Array, sw: number, px: AxisPlan, py: AxisPlan, out: Float32Array, ow: number, ring: Float32Array, nodata: number | null, outNodata: number | null): void {
  const run = pairRun(px);
  const slots = [ring.subarray(0, ow), ring.subarray(ow, 2 * ow)];
  const slotRow = [-1, -1];
  /** Source row r interpolated along x, from the ring unless it is there; `keep` stays in the ring. */
  const lerped = (r: number, keep = -1): Float32Array => {
    const k = slotRow[0] === r ? 0 : slotRow[1] === r ? 1 : -1;
    if (k >= 0) return slots[k];
    // Rows come in non-decreasing order: the lower row goes, unless it is the one to keep.
    const lower = slotRow[0] <= slotRow[1] ? 0 : 1;
    const slot = slotRow[lower] === keep ? 1 - lower : lower;
    slotRow[slot] = r;
    lerpRow(src, r * sw, px, run, slots[slot]);
    return slots[slot];
  };
  // Source rows holding nodata: their output rows are made as the others, then the pixels
  // whose taps include a nodata value are made again from four taps.
  const holes = nodata !== null && src.indexOf(nodata) >= 0 ? nodataRuns(src, sw, py.count, nodata) : null;
  const reach = holes ? outputsPerSourceColumn(px, sw) : null;
  const patch = (j: number): void => {
    const r0 = py.lo[j];
    const r1 = py.hi[j];
    for (const r of r0 === r1 ? [r0] : [r0, r1]) {
      for (let k = holes!.rowStart[r]; k < holes!.rowStart[r + 1]; k += 2) {
        const last = reach!.last[holes!.runs[k + 1] - 1];
        for (let i = reach!.first[holes!.runs[k]]; i <= last; i++) out[j * ow + i] = tapsWithNodata(src, sw, px, i, r0, r1, py.w[j], nodata!, outNodata);
      }
    }
  };
  const oh = py.lo.length;
  for (let j = 0; j < oh; ) {
    const r0 = py.lo[j];
    const r1 = py.hi[j];
    const fy = py.w[j];
    const o = j * ow;
    const top = lerped(r0);
    // Two output rows between the same source rows (every other row pair when upsampling 2×) are made in one pass.
    const rows = j + 1 < oh && py.lo[j + 1] === r0 && py.hi[j + 1] === r1 ? 2 : 1;
    for (let k = 0; k < rows; k++) {
      const f = py.w[j + k];
      if (f === 0 || r0 === r1) out.set(top, o + k * ow);
    }
    const bottom = r0 === r1 ? top : lerped(r1, r0);
    const fy2 = rows === 2 ? py.w[j + 1] : 0;
    if (r0 !== r1 && fy !== 0 && fy2 !== 0) {
      const o2 = o + ow;
      for (let i = 0; i < ow; i++) {
        const v = top[i];
        const d = bottom[i] - v;
        out[o + i] = v + d * fy;
        out[o2 + i] = v + d * fy2;
      }
    } else if (r0 !== r1) {
      for (let k = 0; k < rows; k++) if (py.w[j + k] !== 0) lerpRows(top, bottom, py.w[j + k], out, o + k * ow, ow);
    }
    if (holes && (holes.rowStart[r0] < holes.rowStart[r0 + 1] || holes.rowStart[r1] < holes.rowStart[r1 + 1])) {
      for (let k = 0; k < rows; k++) patch(j + k);
    }
    j += rows;
  }
}

/** out[o..o+n) = a + (b − a)·f, element-wise. */
function lerpRows(a: Float32Array, b: Float32Array, f: number, out: Float32Array, o: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = a[i];
    out[o + i] = v + (b[i] - v) * f;
  }
}

/** The runs of nodata in each source row: row r's runs are runs[rowStart[r]..rowStart[r+1]) as [from, to) pairs. */
function nodataRuns(src: Float32Array, sw: number, rows: number, nodata: number): { runs: Int32Array; rowStart: Int32Array } {
  const rowStart = new Int32Array(rows + 1);
  const runs: number[] = [];
  for (let r = 0; r < rows; r++) {
    rowStart[r] = runs.length;
    const row = src.subarray(r * sw, (r + 1) * sw);
    for (let i = row.indexOf(nodata); i >= 0; i = row.indexOf(nodata, i)) {
      const from = i;
      while (i < sw && row[i] === nodata) i++;
      runs.push(from, i);
    }
  }
  rowStart[rows] = runs.length;
  return { runs: Int32Array.from(runs), rowStart };
}

/** For each source column, the first and last output pixel with a tap on it (last < first: none). */
function outputsPerSourceColumn(px: AxisPlan, sw: number): { first: Int32Array; last: Int32Array } {
  const first = new Int32Array(sw).fill(px.lo.length);
  const last = new Int32Array(sw).fill(-1);
  for (let i = 0; i < px.lo.length; i++) {
    for (const c of [px.lo[i], px.hi[i]]) {
      if (i < first[c]) first[c] = i;
      if (i > last[c]) last[c] = i;
    }
  }
  return { first, last };
}

/** Output pixel i of a row from its four taps, nodata taps left out and the other weights renormalised. */
function tapsWithNodata(src: Float32Array, sw: number, px: AxisPlan, i: number, r0: number, r1: number, fy: number, nodata: number, outNodata: number | null): number {
  const c0 = px.lo[i];
  const c1 = px.hi[i];
  const fx = px.w[i];
  const v00 = src[r0 * sw + c0];
  const v01 = src[r0 * sw + c1];
  const v10 = src[r1 * sw + c0];
  const v11 = src[r1 * sw + c1];
  const oneRow = fy === 0 || r0 === r1;
  if (v00 !== nodata && v01 !== nodata && (oneRow || (v10 !== nodata && v11 !== nodata))) {
    // The same float32 steps as the two-pass path (a tap with weight 0 was nodata).
    const top = Math.fround(v00 + (v01 - v00) * fx);
    return oneRow ? top : top + (Math.fround(v10 + (v11 - v10) * fx) - top) * fy;
  }
  const w00 = v00 === nodata ? 0 : (1 - fx) * (1 - fy);
  const w01 = v01 === nodata ? 0 : fx * (1 - fy);
  const w10 = v10 === nodata ? 0 : (1 - fx) * fy;
  const w11 = v11 === nodata ? 0 : fx * fy;
  const wsum = w00 + w01 + w10 + w11;
  return wsum > 0 ? (v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11) / wsum : (outNodata ?? nodata);
}
