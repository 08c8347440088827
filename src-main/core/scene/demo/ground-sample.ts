/** The per-pixel material mix of the demo scene, filled by the layout, read by the renderer. */

/** What lies on one pixel: a weighted mix of materials, plus clouds above it. */
export class GroundSample {
  /** Material indices into DEMO_SPECTRA. */
  readonly mats = new Int32Array(8);
  /** Weights of those materials; they include per-object brightness, so need not sum to 1. */
  readonly wts = new Float64Array(8);
  n = 0;
  /** Truth class of this pixel (clouds and nodata included). */
  truth = 0;
  /** Cloud opacity, 0 (clear) to 1. */
  cloud = 0;
  /** Multiplier of the ground signal from terrain shading and cloud shadow; 1 = flat, sunlit. */
  shadow = 1;
  /** Opacity of the cloud whose shadow falls here, 0 (none) to 1; the SCL's cloud-shadow test. */
  cloudShadow = 0;

  /** Lays material `m` over the pixel with coverage `c` and brightness `gain`. */
  paint(m: number, c: number, gain = 1): void {
    this.paint2(m, m, 0, c, gain);
  }

  /** Lays a mix of `m1` and `m2` (fraction `t` of `m2`) over the pixel with coverage `c`. */
  paint2(m1: number, m2: number, t: number, c: number, gain = 1): void {
    if (c <= 0) return;
    if (c >= 1 || this.n === 0) {
      // Full cover, or the first (base) layer: nothing shows through.
      this.n = 0;
      c = 1;
    } else {
      for (let i = 0; i < this.n; i++) this.wts[i] *= 1 - c;
    }
    this.add(m1, c * (1 - t) * gain);
    this.add(m2, c * t * gain);
  }

  private add(m: number, w: number): void {
    if (w <= 0) return;
    for (let i = 0; i < this.n; i++) {
      if (this.mats[i] === m) {
        this.wts[i] += w;
        return;
      }
    }
    if (this.n < this.mats.length) {
      this.mats[this.n] = m;
      this.wts[this.n] = w;
      this.n++;
    }
  }
}
