/** Coarse sampling of smooth fields over a block of pixels, for the demo scene generator. */

/**
 * Smooth fields sampled every `step` pixels over a block of pixels and interpolated
 * bilinearly, to save noise evaluations on fields that vary slowly from pixel to pixel.
 */
export class FieldGrid {
  x0 = 0;
  y0 = 0;
  nx = 0;
  readonly fields: Float64Array[];
  /** Interpolated values at the last pixel passed to `interpolate`. */
  readonly at: Float64Array;

  constructor(readonly step: number, maxBlock: number, readonly count: number) {
    const n = Math.ceil(maxBlock / step) + 2;
    this.fields = Array.from({ length: count }, () => new Float64Array(n * n));
    this.at = new Float64Array(count);
  }

  /** Evaluates `eval_` (writing `count` values) on the grid covering a block. */
  fill(x0: number, y0: number, width: number, height: number, eval_: (x: number, y: number, out: Float64Array) => void): void {
    this.x0 = x0;
    this.y0 = y0;
    this.nx = Math.ceil((width - 1) / this.step) + 1;
    const ny = Math.ceil((height - 1) / this.step) + 1;
    const tmp = new Float64Array(this.count);
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < this.nx; i++) {
        eval_(x0 + i * this.step, y0 + j * this.step, tmp);
        for (let f = 0; f < this.count; f++) this.fields[f][j * this.nx + i] = tmp[f];
      }
    }
  }

  /** Interpolates every field at pixel (x, y) of the current block into `at`. */
  interpolate(x: number, y: number): void {
    const gx = (x - this.x0) / this.step;
    const gy = (y - this.y0) / this.step;
    const i = Math.floor(gx);
    const j = Math.floor(gy);
    const fx = gx - i;
    const fy = gy - j;
    const a = j * this.nx + i;
    const b = fx > 0 ? a + 1 : a;
    const c = fy > 0 ? a + this.nx : a;
    const d = fy > 0 ? b + this.nx : b;
    for (let f = 0; f < this.count; f++) {
      const g = this.fields[f];
      const top = g[a] + (g[b] - g[a]) * fx;
      const bottom = g[c] + (g[d] - g[c]) * fx;
      this.at[f] = top + (bottom - top) * fy;
    }
  }
}
