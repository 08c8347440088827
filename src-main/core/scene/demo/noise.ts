/**
 * Seeded, hash-based noise for the synthetic demo scene.
 *
 * Everything here is a pure function of its integer/float inputs and a seed: no state, no
 * Math.random, so a scene generated twice (or block by block in any order) is bit-identical.
 * Only 32-bit integer arithmetic (Math.imul) and basic float operations are used.
 */

/** Murmur3 finaliser: a good 32-bit avalanche. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Uniform 32-bit hash of an integer lattice point and a seed: multiply by large odd constants,
 * combine, then one Murmur3 finaliser. Good enough for noise lattices, and cheap.
 */
export function hash2(x: number, y: number, seed: number): number {
  return fmix32(Math.imul(x | 0, 0x27d4eb2f) ^ Math.imul(y | 0, 0x165667b1) ^ Math.imul(seed | 0, 0x9e3779b1) ^ 0x5bd1e995);
}

/** Uniform 32-bit hash of three integers (e.g. parcel row, column and a salt). */
export function hash3(x: number, y: number, z: number, seed: number): number {
  return hash2(hash2(x, y, seed), z, seed ^ 0x5bd1e995);
}

const INV_2_32 = 1 / 4294967296;

/** Hash of a lattice point mapped to [0, 1). */
export function hashUnit(x: number, y: number, seed: number): number {
  return hash2(x, y, seed) * INV_2_32;
}

/**
 * 2-D value noise in [-1, 1]: random values on the integer lattice, blended with a quintic
 * fade so the field and its gradient are continuous.
 */
export function valueNoise(x: number, y: number, seed: number): number {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  const fx = x - xi;
  const fy = y - yi;
  const sx = fx * fx * fx * (fx * (fx * 6 - 15) + 10);
  const sy = fy * fy * fy * (fy * (fy * 6 - 15) + 10);
  const a = hash2(xi, yi, seed);
  const b = hash2(xi + 1, yi, seed);
  const c = hash2(xi, yi + 1, seed);
  const d = hash2(xi + 1, yi + 1, seed);
  const top = a + (b - a) * sx;
  const bottom = c + (d - c) * sx;
  return (top + (bottom - top) * sy) * (2 * INV_2_32) - 1;
}

/**
 * Fractal Brownian motion: `octaves` layers of value noise, each at twice the frequency and
 * `gain` times the amplitude of the previous one, normalised back to about [-1, 1].
 * Each octave uses its own seed and a small offset so lattice points do not line up.
 */
export function fbm(x: number, y: number, seed: number, octaves: number, gain = 0.5): number {
  let sum = 0;
  let amp = 1;
  let norm = 0;
  let f = 1;
  for (let i = 0; i < octaves; i++) {
    sum += amp * valueNoise(x * f + i * 17.31, y * f - i * 9.17, (seed + Math.imul(i, 0x632be5ab)) | 0);
    norm += amp;
    amp *= gain;
    f *= 2;
  }
  return sum / norm;
}

/** Hermite smoothstep of t between edges e0 < e1, clamped to [0, 1]. */
export function smoothstep(e0: number, e1: number, t: number): number {
  const x = t <= e0 ? 0 : t >= e1 ? 1 : (t - e0) / (e1 - e0);
  return x * x * (3 - 2 * x);
}

/**
 * A tiny xorshift32 stream, for drawing several values per pixel from one hashed state:
 * `reset` it for a pixel, then call `next` or `gauss` as often as needed.
 */
export class PixelRng {
  private s = 1;

  /** Restart the stream for one pixel. */
  reset(x: number, y: number, seed: number): void {
    this.s = hash2(x, y, seed) | 1;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s;
    return (s >>> 0) * INV_2_32;
  }

  /** Bell-shaped, mean 0, standard deviation 1 (sum of two uniforms: a triangle on ±√6). */
  gauss(): number {
    return (this.next() + this.next() - 1) * 2.449489742783178;
  }
}
