/**
 * Resize weights that reproduce torchvision's `Resize(size, BICUBIC)` on tensors with
 * antialias=True (the default since torchvision 0.17), i.e. PyTorch's separable
 * `_upsample_bicubic2d_aa`: a PIL-style filter whose support widens with the downscale factor,
 * cubic convolution with a = −0.5 (PIL's value; the plain, non-antialiased bicubic uses −0.75),
 * half-pixel centres, weights renormalised at the borders. Up- and downscaling both go through
 * it. Resizing is then two matrix products, which ONNX Runtime runs.
 */

const A = -0.5;

const f = Math.fround;

/** In float32 arithmetic, as PyTorch computes it for float tensors. */
function cubic(x: number): number {
  const t = f(Math.abs(x));
  if (t < 1) return f(f(f(f(f(f(A + 2) * t) - f(A + 3)) * t) * t) + 1);
  if (t < 2) return f(f(f(f(f(f(t - 5) * t) + 8) * t) - 4) * A);
  return 0;
}

/**
 * Row-major [count, inSize] weights of output indices start … start+count−1 of a resize from
 * inSize to outSize samples (so a centre crop costs nothing).
 */
export function resizeWeights(inSize: number, outSize: number, start = 0, count = outSize): Float32Array {
  const scale = f(inSize / outSize);
  const support = scale >= 1 ? f(2 * scale) : 2;
  const invScale = scale >= 1 ? f(1 / scale) : 1;
  const w = new Float32Array(count * inSize);
  const row = new Float32Array(inSize);
  for (let k = 0; k < count; k++) {
    const i = start + k;
    const center = f(scale * f(i + 0.5));
    const lo = Math.max(Math.trunc(f(f(center - support) + 0.5)), 0);
    const hi = Math.min(Math.trunc(f(f(center + support) + 0.5)), inSize);
    let total = 0;
    for (let j = lo; j < hi; j++) { row[j] = cubic(f(f(f(j - center) + 0.5) * invScale)); total = f(total + row[j]); }
    for (let j = lo; j < hi; j++) w[k * inSize + j] = total !== 0 ? f(row[j] / total) : row[j];
  }
  return w;
}

export interface ResizePlan {
  /** Size after resizing the short side, before the crop. */
  resized: [height: number, width: number];
  /** Top-left of the centre crop. */
  crop: [top: number, left: number];
}

/** torchvision Resize(size) (short side → size, long side truncated) then CenterCrop(size). */
export function planResize(height: number, width: number, size: number): ResizePlan {
  const short = Math.min(height, width);
  const long = Math.max(height, width);
  const newLong = Math.trunc((size * long) / short);
  const [h, w] = height <= width ? [size, newLong] : [newLong, size];
  return { resized: [h, w], crop: [Math.round((h - size) / 2), Math.round((w - size) / 2)] };
}
