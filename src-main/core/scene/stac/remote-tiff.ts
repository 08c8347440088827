/**
 * A COG over HTTP as a geotiff.js source. Block reads (one per tile, usually hundreds of kB)
 * are single range requests through the scene's client and its cache. Small reads (headers,
 * IFDs, tag arrays, single tile offsets: geotiff.js asks for a few bytes at a time) are served
 * from 16 KiB blocks kept for the life of the file, so opening a COG costs one or two requests;
 * a block run is fetched under the signal of the read that asked first (reads of one scene
 * share one job's signal), and a read that finds it cancelled by another fetches it again.
 * geotiff.js' own BlockedSource is not used: it replaces the cause of a failed request with
 * "Request failed", and the user would lose the message that says what to do.
 */
import { GeoTIFF } from 'geotiff';
import { MslensError, throwIfAborted } from '../../errors.ts';
import type { HttpClient, RangeResult } from './http-range.ts';

const SMALL_READ = 4096;
const BLOCK = 16384;
/** 4 MiB of small blocks per file at most; beyond that small reads go straight to the client. */
const MAX_BLOCKS = 256;

interface Slice {
  offset: number;
  length: number;
}

class HttpTiffSource {
  private whole: ArrayBuffer | null = null;
  private readonly blocks = new Map<number, Promise<ArrayBuffer>>();

  /** `what` names the file in messages ("asset red (B04)"). */
  constructor(private readonly client: HttpClient, readonly url: string, private readonly what: string) {}

  get fileSize(): number | null {
    return this.whole ? this.whole.byteLength : null;
  }

  fetch(slices: Slice[], signal?: AbortSignal): Promise<ArrayBuffer[]> {
    return Promise.all(slices.map((s) => this.read(s.offset, s.length, signal)));
  }

  async fetchSlice(slice: Slice, signal?: AbortSignal): Promise<Slice & { data: ArrayBuffer }> {
    return { ...slice, data: await this.read(slice.offset, slice.length, signal) };
  }

  async close(): Promise<void> {
    this.blocks.clear();
    this.whole = null;
  }

  private take(r: RangeResult, offset: number, length: number): ArrayBuffer {
    if (!r.whole) return r.data;
    this.whole = r.data;
    return r.data.slice(offset, offset + length);
  }

  private async read(offset: number, length: number, signal?: AbortSignal): Promise<ArrayBuffer> {
    if (this.whole) return this.whole.slice(offset, offset + length);
    if (length > SMALL_READ) return this.take(await this.client.getRangeCached(this.url, offset, length, this.what, signal), offset, length);
    throwIfAborted(signal);
    const first = Math.floor(offset / BLOCK);
    const last = Math.floor((offset + length - 1) / BLOCK);
    const missing: number[] = [];
    for (let b = first; b <= last; b++) if (!this.blocks.has(b)) missing.push(b);
    if (missing.length && this.blocks.size + missing.length > MAX_BLOCKS) {
      return this.take(await this.client.getRangeCached(this.url, offset, length, this.what, signal), offset, length);
    }
    if (missing.length) {
      // One request for the run of missing blocks; shared by every read that needs one of them.
      const a = missing[0];
      const z = missing[missing.length - 1];
      const run = this.client.getRange(this.url, a * BLOCK, (z - a + 1) * BLOCK, this.what, signal);
      for (let b = a; b <= z; b++) {
        if (this.blocks.has(b)) continue;
        const block = run.then((r) => {
          if (r.whole) {
            this.whole = r.data;
            return r.data.slice(b * BLOCK, (b + 1) * BLOCK);
          }
          return r.data.slice((b - a) * BLOCK, (b - a + 1) * BLOCK);
        });
        block.catch(() => this.blocks.delete(b));
        this.blocks.set(b, block);
      }
    }
    let parts: ArrayBuffer[];
    try {
      parts = await Promise.all(Array.from({ length: last - first + 1 }, (_, k) => this.blocks.get(first + k)!));
    } catch (err) {
      // A block another read fetched and then cancelled: fetch it again for this one.
      if (err instanceof MslensError && err.code === 'CANCELLED' && !signal?.aborted) return this.read(offset, length, signal);
      throw err;
    }
    // The run may have found a server that ignores Range and sent the whole file.
    const whole = this.whole as ArrayBuffer | null;
    if (whole) return whole.slice(offset, offset + length);
    const out = new Uint8Array(length);
    let filled = 0;
    for (let k = 0; k < parts.length; k++) {
      const blockStart = (first + k) * BLOCK;
      const from = Math.max(offset, blockStart) - blockStart;
      const to = Math.min(offset + length - blockStart, parts[k].byteLength);
      if (to <= from) break;
      out.set(new Uint8Array(parts[k], from, to - from), blockStart + from - offset);
      filled = blockStart + to - offset;
      if (parts[k].byteLength < BLOCK) break;
    }
    return filled === length ? out.buffer : out.buffer.slice(0, filled);
  }
}

/** Opens a COG at `url` with geotiff.js, reading through `client`. */
export function openRemoteTiff(client: HttpClient, url: string, what: string, signal?: AbortSignal): Promise<GeoTIFF> {
  return GeoTIFF.fromSource(new HttpTiffSource(client, url, what), undefined, signal);
}
