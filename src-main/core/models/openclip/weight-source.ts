/**
 * Where the converter reads weights from: a small interface, so it works the same over a
 * PyTorch checkpoint and over weights made in memory (tests, benchmarks).
 */

export interface WeightSource {
  /** Every tensor name the source holds. */
  keys(): readonly string[];
  /** Shape of one tensor ([] for a 0-dim scalar). Throws if the key is absent. */
  shape(key: string): number[];
  /** The tensor as contiguous row-major float32. The caller keeps it but never modifies it. */
  read(key: string): Promise<Float32Array>;
}

/** A WeightSource over tensors already in memory. */
export function memoryWeightSource(tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>): WeightSource {
  const get = (key: string) => {
    const t = tensors.get(key);
    if (!t) throw new Error(`no tensor ${key}`);
    return t;
  };
  return {
    keys: () => [...tensors.keys()],
    shape: (key) => [...get(key).shape],
    read: async (key) => get(key).data,
  };
}
