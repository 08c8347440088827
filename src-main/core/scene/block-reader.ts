/**
 * Fast window reads for tiled or stripped GeoTIFFs: fetch and decode the blocks a window touches
 * (decoding runs in parallel on zlib's thread pool) and de-interleave the wanted samples with
 * typed-array views. geotiff.js' readRasters does the same with a DataView call per value,
 * which made reading the slowest step of indexing. Anything unusual falls back to readRasters.
 * The last two block rows stay decoded, so a scene read strip by strip decodes each block once.
 * Block sizes are checked before anything is decoded, and a block that fails to decode, or
 * decodes to the wrong size, is named in the error.
 */
import { getDecoder, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { MslensError, isAbortError } from '../errors.ts';
import { checkBlockSize } from './raster-checks.ts';
import { REWRITE_HINT, blockError, compressionName } from './read-errors.ts';
import type { PixelWindow } from './types.ts';

type Typed = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;
const VIEW: Record<string, (b: ArrayBuffer) => Typed> = {
  '1:8': (b) => new Uint8Array(b), '2:8': (b) => new Int8Array(b),
  '1:16': (b) => new Uint16Array(b), '2:16': (b) => new Int16Array(b),
  '1:32': (b) => new Uint32Array(b), '2:32': (b) => new Int32Array(b),
  '3:32': (b) => new Float32Array(b), '3:64': (b) => new Float64Array(b),
};

interface BlockImage {
  getTileOrStrip(x: number, y: number, sample: number, decoder: unknown, signal?: AbortSignal): Promise<{ data: ArrayBuffer }>;
  planarConfiguration: number;
}

export interface BlockReader {
  read(win: PixelWindow, samples: readonly number[], signal?: AbortSignal, into?: Float32Array[]): Promise<Float32Array[]>;
}

/**
 * Checks the file's blocks and compression (SCENE_UNREADABLE naming `label` when they are out of
 * bounds or undecodable), then returns a fast reader, or null when the file needs geotiff.js'
 * general path.
 */
export async function makeBlockReader(tiff: GeoTIFF, image: GeoTIFFImage, label: string): Promise<BlockReader | null> {
  const fd = image.fileDirectory;
  const spp = image.getSamplesPerPixel();
  const bits = image.getBitsPerSample(0);
  const format = image.getSampleFormat(0);
  const planar = (image as unknown as BlockImage).planarConfiguration;
  const tiled = fd.hasTag('TileOffsets');
  const tw = image.getTileWidth();
  const th = image.getTileHeight();
  const bytes = Math.ceil(bits / 8);
  checkBlockSize(label, tiled ? tw : image.getWidth(), th, (tiled ? tw : image.getWidth()) * th * bytes * (planar === 2 ? 1 : spp));
  const compression = (fd.getValue('Compression') as number | undefined) ?? 1;
  let decoder: unknown;
  try {
    decoder = await getDecoder(compression, {
      tileWidth: tiled ? tw : image.getWidth(),
      tileHeight: th,
      planarConfiguration: planar,
      bitsPerSample: (await fd.loadValue('BitsPerSample')) as number[],
      predictor: ((await fd.loadValue('Predictor')) as number | undefined) || 1,
    });
  } catch (err) {
    if (isAbortError(err)) throw err;
    throw new MslensError('SCENE_UNREADABLE', `${label.replace(/^.*[\\/]/, '')} uses TIFF compression ${compressionName(compression)}, which mslens cannot decode: ${REWRITE_HINT}.`, { path: label, compression }, { cause: err });
  }
  const makeView = VIEW[`${format}:${bits}`];
  const uniform = Array.from({ length: spp }, (_, i) => image.getBitsPerSample(i) === bits && image.getSampleFormat(i) === format).every(Boolean);
  const littleEndian = (tiff as unknown as { littleEndian: boolean }).littleEndian;
  if (!makeView || !uniform || (!littleEndian && bits > 8) || (planar !== 1 && planar !== 2)) return null;
  const blockBytes = tw * th * bytes * (planar === 2 ? 1 : spp);
  const img = image as unknown as BlockImage;
  // Decoded blocks of at most two block rows, and none above the window being read: a scene is
  // read in strips top to bottom, and a strip shorter than a block (224 rows vs 256 or 512)
  // needs the same block row again.
  const across = Math.ceil(image.getWidth() / tw);
  const cache = new Map<string, { by: number; data: Promise<ArrayBuffer> }>();
  const capacity = 2 * across * (planar === 2 ? spp : 1);
  const block = (bx: number, by: number, s: number, signal?: AbortSignal): Promise<ArrayBuffer> => {
    const key = `${bx},${by},${s}`;
    let hit = cache.get(key);
    if (hit) {
      cache.delete(key);
    } else {
      const data = img.getTileOrStrip(bx, by, s, decoder, signal).then((b) => {
        // A block decodes to at least its rows (a strip at the bottom may have fewer; decoders
        // may add padding). Less is a damaged block; an odd length is cut to whole samples.
        const need = (tiled ? th : Math.min(th, image.getHeight() - by * th)) * (blockBytes / th);
        const n = b.data.byteLength;
        if (n < need) throw new RangeError(`it decodes to ${n} bytes, not the ${need} of a block`);
        return n % bytes === 0 ? b.data : b.data.slice(0, need);
      }).catch((err: unknown) => {
        throw isAbortError(err) ? err : blockError(label, { col: bx, row: by, band: planar === 2 ? s : undefined }, err);
      });
      hit = { by, data };
      const entry = hit;
      data.catch(() => { if (cache.get(key) === entry) cache.delete(key); });
    }
    cache.set(key, hit);
    if (cache.size > capacity) cache.delete(cache.keys().next().value!);
    return hit.data;
  };
  const dropAbove = (by0: number): void => {
    for (const [key, e] of cache) if (e.by < by0) cache.delete(key);
  };

  return {
    async read(win, samples, signal, into) {
      const n = win.width * win.height;
      const out = samples.map((_, k) => (into?.[k] && into[k].length >= n ? into[k].subarray(0, n) : new Float32Array(n)));
      const bx0 = Math.floor(win.x / tw);
      const bx1 = Math.floor((win.x + win.width - 1) / tw);
      const by0 = Math.floor(win.y / th);
      const by1 = Math.floor((win.y + win.height - 1) / th);
      dropAbove(by0);
      const jobs: Promise<void>[] = [];
      const place = (bx: number, by: number, data: ArrayBuffer, only: number | null): void => {
        const v = makeView(data);
        const stride = only === null ? spp : 1;
        const x0 = Math.max(win.x, bx * tw);
        const x1 = Math.min(win.x + win.width, (bx + 1) * tw);
        const y0 = Math.max(win.y, by * th);
        const y1 = Math.min(win.y + win.height, (by + 1) * th);
        // Row by row, every wanted sample of a row before the next row: an interleaved block is
        // walked once in order (a third faster than a pass over the whole block per sample).
        for (let y = y0; y < y1; y++) {
          const rowSrc = ((y - by * th) * tw + (x0 - bx * tw)) * stride;
          const rowDst = (y - win.y) * win.width + (x0 - win.x);
          for (let k = 0; k < samples.length; k++) {
            const s = samples[k];
            if (only !== null && s !== only) continue;
            const o = out[k];
            // One sample per pixel: a row is one typed-array conversion.
            if (stride === 1) {
              o.set(v.subarray(rowSrc, rowSrc + (x1 - x0)), rowDst);
              continue;
            }
            let src = rowSrc + s;
            let dst = rowDst;
            for (let x = x0; x < x1; x++, src += stride, dst++) o[dst] = v[src];
          }
        }
      };
      for (let by = by0; by <= by1; by++) {
        for (let bx = bx0; bx <= bx1; bx++) {
          if (planar === 1) {
            jobs.push(block(bx, by, 0, signal).then((data) => place(bx, by, data, null)));
          } else {
            for (const s of new Set(samples)) jobs.push(block(bx, by, s, signal).then((data) => place(bx, by, data, s)));
          }
        }
      }
      await Promise.all(jobs);
      return out;
    },
  };
}
