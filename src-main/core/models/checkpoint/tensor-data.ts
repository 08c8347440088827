/**
 * Turning a tensor's raw storage bytes into contiguous row-major float32: the element types
 * torch stores, half and bfloat16 widening, and strided (non-contiguous) views.
 */

/** Element types a checkpoint tensor can have. Models use the first three. */
export type TensorDtype =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

export const DTYPE_BYTES: Readonly<Record<TensorDtype, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

let halfTable: Float32Array | undefined;

/** float32 value of every binary16 bit pattern (256 KiB, built on first use). */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    let mant = h & 0x3ff;
    if (exp === 0x1f) {
      bits[h] = sign | 0x7f800000 | (mant << 13); // Inf / NaN (payload kept)
    } else if (exp !== 0) {
      bits[h] = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant === 0) {
      bits[h] = sign; // ±0
    } else {
      // subnormal half → normal float
      let e = 113;
      while ((mant & 0x400) === 0) {
        mant <<= 1;
        e--;
      }
      bits[h] = sign | (e << 23) | ((mant & 0x3ff) << 13);
    }
  }
  halfTable = table;
  return table;
}

/** A view over `raw` that yields each element as a JS number (exact for every float dtype). */
function elementReader(raw: ArrayBuffer, dtype: TensorDtype): (i: number) => number {
  switch (dtype) {
    case 'float32': {
      const a = new Float32Array(raw);
      return (i) => a[i];
    }
    case 'float16': {
      const a = new Uint16Array(raw);
      const t = halfToFloatTable();
      return (i) => t[a[i]];
    }
    case 'bfloat16': {
      const a = new Uint16Array(raw);
      const f = new Float32Array(1);
      const u = new Uint32Array(f.buffer);
      return (i) => {
        u[0] = a[i] << 16;
        return f[0];
      };
    }
    case 'float64': {
      const a = new Float64Array(raw);
      return (i) => a[i];
    }
    case 'int64': {
      const a = new BigInt64Array(raw);
      return (i) => Number(a[i]);
    }
    case 'int32': {
      const a = new Int32Array(raw);
      return (i) => a[i];
    }
    case 'int16': {
      const a = new Int16Array(raw);
      return (i) => a[i];
    }
    case 'int8': {
      const a = new Int8Array(raw);
      return (i) => a[i];
    }
    case 'uint8': {
      const a = new Uint8Array(raw);
      return (i) => a[i];
    }
    case 'bool': {
      const a = new Uint8Array(raw);
      return (i) => (a[i] ? 1 : 0);
    }
  }
}

/** Converts `count` consecutive elements starting at element `start` of `raw`. */
function convertContiguous(raw: ArrayBuffer, dtype: TensorDtype, start: number, count: number): Float32Array {
  const out = new Float32Array(count);
  if (dtype === 'float16') {
    const src = new Uint16Array(raw, start * 2, count);
    const t = halfToFloatTable();
    for (let i = 0; i < count; i++) out[i] = t[src[i]];
    return out;
  }
  if (dtype === 'bfloat16') {
    const src = new Uint16Array(raw, start * 2, count);
    const dst = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) dst[i] = src[i] << 16;
    return out;
  }
  if (dtype === 'float32') {
    out.set(new Float32Array(raw, start * 4, count));
    return out;
  }
  const read = elementReader(raw, dtype);
  for (let i = 0; i < count; i++) out[i] = read(start + i);
  return out;
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** True when the view walks its elements in order with no gaps (size-1 dims may have any stride). */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/**
 * The lowest and highest storage element a view touches, or null for an empty view.
 * Strides are never negative in torch.
 */
export function viewExtent(shape: readonly number[], strides: readonly number[], offset: number): { first: number; last: number } | null {
  let last = offset;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 0) return null;
    last += (shape[i] - 1) * strides[i];
  }
  return { first: offset, last };
}

/**
 * Gathers a view out of `raw` (storage bytes whose element 0 is storage element `base`) into
 * contiguous row-major float32.
 */
export function viewToFloat32(
  raw: ArrayBuffer,
  dtype: TensorDtype,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  base: number,
): Float32Array {
  const count = numelOf(shape);
  const start = offset - base;
  if (count === 0) return new Float32Array(0);
  if (isContiguous(shape, strides)) return convertContiguous(raw, dtype, start, count);

  const out = new Float32Array(count);
  const read = elementReader(raw, dtype);
  const rank = shape.length;
  const inner = shape[rank - 1];
  const innerStride = strides[rank - 1];
  const index = new Array<number>(rank).fill(0);
  let src = start;
  for (let o = 0; o < count; o += inner) {
    for (let j = 0, s = src; j < inner; j++, s += innerStride) out[o + j] = read(s);
    // odometer over the outer dimensions
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      src += strides[d];
      if (index[d] < shape[d]) break;
      src -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}
