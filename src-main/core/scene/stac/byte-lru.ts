/** A least-recently-used map of byte buffers that keeps their total size under a budget. */
export class ByteLru {
  private readonly map = new Map<string, ArrayBuffer>();
  private bytes = 0;

  constructor(private readonly budget: number) {}

  get(key: string): ArrayBuffer | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: ArrayBuffer): void {
    if (value.byteLength > this.budget / 4) return;
    const old = this.map.get(key);
    if (old) {
      this.bytes -= old.byteLength;
      this.map.delete(key);
    }
    this.map.set(key, value);
    this.bytes += value.byteLength;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.budget) break;
      this.map.delete(k);
      this.bytes -= v.byteLength;
    }
  }

  get size(): number {
    return this.bytes;
  }
}
