/**
 * Weight quantisation for the int8 image encoder: signed int8, symmetric, one scale per
 * output channel (a torch Linear row), the scheme ONNX Runtime's dynamic quantisation uses
 * with `per_channel=True` and QInt8 weights. Activations are quantised at run time by the
 * graph (DynamicQuantizeMatMul: uint8, per tensor), so nothing here depends on the data.
 */

export interface QuantizedLinear {
  /** Wᵀ as int8, row-major [in, out]: the MatMul right operand. */
  weight: Int8Array;
  /** One scale per output channel [out]: W[o, k] ≈ scale[o] · q[k, o]. */
  scale: Float32Array;
}

/**
 * Quantises a torch Linear weight [out, in] (row-major) to int8 Wᵀ [in, out] with per-output-
 * channel scales max|w|/127 (zero point 0, range −127…127, round half away from zero).
 * An all-zero row gets scale 1 so the kernel never divides by zero.
 */
export function quantizeLinearWeight(w: Float32Array, out: number, inp: number, levels = 127): QuantizedLinear {
  if (w.length !== out * inp) throw new Error(`quantizeLinearWeight: ${w.length} values for [${out}, ${inp}]`);
  const q = new Int8Array(inp * out);
  const scale = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const base = o * inp;
    let m = 0;
    for (let k = 0; k < inp; k++) {
      const a = Math.abs(w[base + k]);
      if (a > m) m = a;
    }
    const s = m > 0 ? Math.fround(m / levels) : 1;
    scale[o] = s;
    const inv = 1 / s;
    for (let k = 0; k < inp; k++) {
      const v = w[base + k] * inv;
      // Math.round rounds −2.5 to −2; round half away from zero keeps ±symmetry
      const r = v < 0 ? -Math.round(-v) : Math.round(v);
      q[k * out + o] = r > levels ? levels : r < -levels ? -levels : r;
    }
  }
  return { weight: q, scale };
}
