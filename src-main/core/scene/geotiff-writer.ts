/**
 * A streaming writer for tiled GeoTIFFs.
 *
 * Tiles are compressed and appended to a temporary file as they arrive, so memory stays at one
 * tile whatever the raster size (a 10980 × 10980 × 12 int16 scene is 2.9 GB of samples). The
 * image file directory goes at the end, and the header's first-IFD offset is patched to point
 * at it. `close()` then renames the temporary file to the final path, so nothing half-written
 * is ever visible under that name.
 *
 * Layout: one image, pixel-interleaved tiles (PlanarConfiguration 1), no predictor, classic
 * TIFF or BigTIFF when the worst-case size could pass 4 GiB. GeoTIFF keys for a projected CRS
 * given by EPSG code, PixelIsArea; GDAL's own tags for nodata (42113) and for band
 * descriptions and dataset metadata (42112).
 *
 * References: TIFF 6.0 (Adobe 1992) §15 (tiles); BigTIFF (libtiff.org/bigtiff); OGC GeoTIFF
 * 1.1 (19-008r4); GDAL GTiff driver documentation (GDAL_NODATA, GDAL_METADATA, sparse files).
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { deflate, deflateSync } from 'node:zlib';
import { MslensError } from '../errors.ts';
import type { GeoTransform, SampleType } from './types.ts';

export type TileData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

export interface GeoTiffWriterOptions {
  /** Final path of the file; it appears only when `close()` succeeds. */
  path: string;
  width: number;
  height: number;
  bandCount: number;
  sampleType: SampleType;
  /** Tile edge in pixels, a multiple of 16. @default 256 */
  tileSize?: number;
  /** GDAL-order affine transform; must be north-up (no rotation terms, negative y step). */
  transform: GeoTransform;
  /** EPSG code of a projected CRS, e.g. 32633 for WGS 84 / UTM zone 33N. */
  epsg: number;
  /** Value marking missing pixels, stored in GDAL_NODATA. @default null */
  nodata?: number | null;
  /** One description per band (e.g. the Sentinel-2 band id), stored the way GDAL stores them. */
  bandDescriptions?: readonly string[];
  /** Dataset-level metadata items (GDAL_METADATA), e.g. `{ ACQUISITION_DATE: '2024-06-12' }`. */
  metadata?: Readonly<Record<string, string>>;
  /** @default 'deflate' */
  compression?: 'deflate' | 'none';
  /** zlib level, 1 (fast) to 9 (small). @default 6 */
  deflateLevel?: number;
  /** Force BigTIFF on or off; 'auto' picks BigTIFF only when the file could exceed 4 GiB. @default 'auto' */
  bigTiff?: boolean | 'auto';
}

export interface GeoTiffWriter {
  readonly path: string;
  readonly tileSize: number;
  readonly tilesAcross: number;
  readonly tilesDown: number;
  readonly bigTiff: boolean;
  /**
   * Compresses and appends one tile. `data` holds tileSize × tileSize × bandCount samples,
   * pixel-interleaved, row-major; tiles at the right and bottom edges are padded to full size.
   * Tiles may come in any order, each once. Tiles never written are stored sparse (offset 0,
   * byte count 0), which GDAL and geotiff.js read as nodata (or 0 without nodata).
   */
  writeTile(tileX: number, tileY: number, data: TileData): void;
  /**
   * Like `writeTile`, but compresses on the libuv thread pool, so the caller can prepare the
   * next tile meanwhile. Tiles are appended in call order whatever order compression finishes
   * in, so the file is the same as with `writeTile`. Leave `data` untouched until the promise
   * settles. Do not mix with `writeTile` while such writes are pending.
   */
  writeTileAsync(tileX: number, tileY: number, data: TileData): Promise<void>;
  /** Waits for pending tiles, writes the directory, flushes, and renames the temporary file to `path`. */
  close(): Promise<void>;
  /** Discards everything written; `path` is left untouched. Safe to call more than once. */
  abort(): Promise<void>;
}

interface SampleInfo {
  bits: number;
  /** TIFF SampleFormat: 1 unsigned integer, 2 signed integer, 3 IEEE float. */
  format: 1 | 2 | 3;
  min: number;
  max: number;
  ctor: new (length: number) => TileData;
}

const SAMPLE_INFO: Record<SampleType, SampleInfo> = {
  uint8: { bits: 8, format: 1, min: 0, max: 255, ctor: Uint8Array },
  int8: { bits: 8, format: 2, min: -128, max: 127, ctor: Int8Array },
  uint16: { bits: 16, format: 1, min: 0, max: 65535, ctor: Uint16Array },
  int16: { bits: 16, format: 2, min: -32768, max: 32767, ctor: Int16Array },
  uint32: { bits: 32, format: 1, min: 0, max: 4294967295, ctor: Uint32Array },
  int32: { bits: 32, format: 2, min: -2147483648, max: 2147483647, ctor: Int32Array },
  float32: { bits: 32, format: 3, min: -Infinity, max: Infinity, ctor: Float32Array },
  float64: { bits: 64, format: 3, min: -Infinity, max: Infinity, ctor: Float64Array },
};

// TIFF field types.
const BYTE_T = 1;
const ASCII_T = 2;
const SHORT_T = 3;
const LONG_T = 4;
const DOUBLE_T = 12;
const LONG8_T = 16;
const TYPE_SIZE: Record<number, number> = { [BYTE_T]: 1, [ASCII_T]: 1, [SHORT_T]: 2, [LONG_T]: 4, [DOUBLE_T]: 8, [LONG8_T]: 8 };

interface Entry {
  tag: number;
  type: number;
  /** Numbers for numeric types; bytes (NUL included) for ASCII. */
  values: readonly number[] | Uint8Array;
}

const MAX_CLASSIC = 0xffffffff;
const deflateAsync = promisify(deflate);

function bad(message: string, detail: Record<string, string | number> = {}): MslensError {
  return new MslensError('BAD_ARGUMENT', message, detail);
}

function ioError(action: string, path: string, err: unknown): MslensError {
  const code = (err as { code?: string }).code ?? 'EIO';
  const hint =
    code === 'ENOSPC'
      ? 'Free some disk space or choose another folder.'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'Choose a folder you can write to.'
        : code === 'ENOENT'
          ? 'Check that the folder exists.'
          : 'Check the folder and try again.';
  return new MslensError('BAD_ARGUMENT', `Could not ${action} ${path} (${code}). ${hint}`, { path, code }, { cause: err });
}

function isPosInt(n: number): boolean {
  return Number.isInteger(n) && n > 0;
}

/** Human-readable CRS name for the GeoTIFF citation key. */
export function epsgCitation(epsg: number): string {
  if (epsg >= 32601 && epsg <= 32660) return `WGS 84 / UTM zone ${epsg - 32600}N`;
  if (epsg >= 32701 && epsg <= 32760) return `WGS 84 / UTM zone ${epsg - 32700}S`;
  return `EPSG:${epsg}`;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * GDAL_METADATA XML: dataset items, then one DESCRIPTION item per described band.
 * Item values are escaped twice, exactly as GDAL writes them (it escapes the value, then the
 * XML serialiser escapes it again, and its reader undoes both). Plain values such as dates and
 * band ids are unaffected; geotiff.js returns the text without unescaping it.
 */
export function gdalMetadataXml(metadata: Readonly<Record<string, string>>, bandDescriptions: readonly string[]): string | null {
  const lines: string[] = [];
  const value = (v: string): string => xmlEscape(xmlEscape(v));
  for (const [name, v] of Object.entries(metadata)) {
    lines.push(`  <Item name="${xmlEscape(name)}">${value(v)}</Item>`);
  }
  bandDescriptions.forEach((d, i) => {
    lines.push(`  <Item name="DESCRIPTION" sample="${i}" role="description">${value(d)}</Item>`);
  });
  return lines.length === 0 ? null : `<GDALMetadata>\n${lines.join('\n')}\n</GDALMetadata>\n`;
}

function ascii(s: string): Uint8Array {
  const bytes = Buffer.from(s + '\0', 'latin1');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function nodataString(nodata: number): string {
  if (Number.isNaN(nodata)) return 'nan';
  if (nodata === Infinity) return 'inf';
  if (nodata === -Infinity) return '-inf';
  return String(nodata);
}

/** zlib's deflateBound, rounded up generously. */
function deflateBound(n: number): number {
  return n + Math.ceil(n / 4096) + Math.ceil(n / 16384) + 64;
}

function validate(opts: GeoTiffWriterOptions): void {
  const { width, height, bandCount, transform, epsg } = opts;
  const tileSize = opts.tileSize ?? 256;
  if (!isPosInt(width) || !isPosInt(height)) {
    throw bad(`Raster size ${width} × ${height} is not valid; width and height must be positive integers.`, { width, height });
  }
  if (!isPosInt(bandCount) || bandCount > 65535) {
    throw bad(`Band count ${bandCount} is not valid; it must be an integer from 1 to 65535.`, { bandCount });
  }
  if (!(opts.sampleType in SAMPLE_INFO)) {
    throw bad(`Sample type ${String(opts.sampleType)} is not supported.`, { sampleType: String(opts.sampleType) });
  }
  if (!isPosInt(tileSize) || tileSize % 16 !== 0 || tileSize > 4096) {
    throw bad(`Tile size ${tileSize} is not valid; TIFF tiles must be a multiple of 16 (at most 4096).`, { tileSize });
  }
  if (transform.length !== 6 || !transform.every(Number.isFinite)) {
    throw bad('The geotransform must hold six finite numbers.');
  }
  if (transform[2] !== 0 || transform[4] !== 0 || !(transform[1] > 0) || !(transform[5] < 0)) {
    throw bad('Only north-up rasters can be written: the geotransform needs no rotation terms, a positive x step and a negative y step.', {
      transform: transform.join(','),
    });
  }
  if (!Number.isInteger(epsg) || epsg < 1024 || epsg > 65535) {
    throw bad(`EPSG code ${epsg} is not a projected CRS code this writer can store.`, { epsg });
  }
  const info = SAMPLE_INFO[opts.sampleType];
  const nodata = opts.nodata ?? null;
  if (nodata !== null && info.format !== 3 && (!Number.isInteger(nodata) || nodata < info.min || nodata > info.max)) {
    throw bad(`Nodata value ${nodata} does not fit ${opts.sampleType} samples.`, { nodata, sampleType: opts.sampleType });
  }
  if (opts.bandDescriptions && opts.bandDescriptions.length !== bandCount) {
    throw bad(`${opts.bandDescriptions.length} band descriptions were given for ${bandCount} bands.`);
  }
  const level = opts.deflateLevel ?? 6;
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw bad(`Deflate level ${level} is not valid; use 1 to 9.`, { level });
  }
}

/** Opens a temporary file next to `opts.path` and returns a writer for it. */
export function createGeoTiffWriter(opts: GeoTiffWriterOptions): GeoTiffWriter {
  validate(opts);
  const { path, width, height, bandCount, transform, epsg } = opts;
  const tileSize = opts.tileSize ?? 256;
  const compression = opts.compression ?? 'deflate';
  const level = opts.deflateLevel ?? 6;
  const nodata = opts.nodata ?? null;
  const info = SAMPLE_INFO[opts.sampleType];
  const bytesPerSample = info.bits / 8;
  const tilesAcross = Math.ceil(width / tileSize);
  const tilesDown = Math.ceil(height / tileSize);
  const tileCount = tilesAcross * tilesDown;
  const tileLength = tileSize * tileSize * bandCount;
  const tileBytes = tileLength * bytesPerSample;

  const metadataXml = gdalMetadataXml(opts.metadata ?? {}, opts.bandDescriptions ?? []);
  // Worst case: every tile at its deflate bound, plus the directory and its arrays.
  const directoryBound = 4096 + tileCount * 16 + bandCount * 8 + (metadataXml?.length ?? 0) * 2;
  const worstCase =
    16 + tileCount * (compression === 'deflate' ? deflateBound(tileBytes) : tileBytes) + directoryBound;
  const bigTiff = opts.bigTiff === 'auto' || opts.bigTiff === undefined ? worstCase > MAX_CLASSIC : opts.bigTiff;

  const le = endianness() === 'LE';
  const tmpPath = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  let fd: number;
  try {
    fd = openSync(tmpPath, 'w');
  } catch (err) {
    throw ioError('create', tmpPath, err);
  }

  const offsets = new Float64Array(tileCount); // byte offsets; exact up to 2^53
  const byteCounts = new Float64Array(tileCount);
  const written = new Uint8Array(tileCount);
  let state: 'open' | 'closed' | 'aborted' = 'open';

  const headerSize = bigTiff ? 16 : 8;
  let pos = 0;

  function rawWrite(buf: Uint8Array, at: number): void {
    let done = 0;
    while (done < buf.byteLength) {
      done += writeSync(fd, buf, done, buf.byteLength - done, at + done);
    }
  }

  function write(buf: Uint8Array): void {
    try {
      rawWrite(buf, pos);
    } catch (err) {
      throw ioError('write', tmpPath, err);
    }
    pos += buf.byteLength;
  }

  // Header with a zero first-IFD offset, patched in close().
  {
    const h = new DataView(new ArrayBuffer(headerSize));
    h.setUint8(0, le ? 0x49 : 0x4d);
    h.setUint8(1, le ? 0x49 : 0x4d);
    if (bigTiff) {
      h.setUint16(2, 43, le);
      h.setUint16(4, 8, le);
      h.setUint16(6, 0, le);
    } else {
      h.setUint16(2, 42, le);
    }
    try {
      write(new Uint8Array(h.buffer));
    } catch (err) {
      closeQuietly();
      throw err;
    }
  }

  function closeQuietly(): void {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    rmSync(tmpPath, { force: true });
  }

  function ensureOpen(): void {
    if (state !== 'open') throw new MslensError('INTERNAL', `The GeoTIFF writer for ${basename(path)} is already ${state}.`);
  }

  /** Checks a tile's position and data, reserves its slot, and returns its index. */
  function claim(tileX: number, tileY: number, data: TileData): number {
    ensureOpen();
    if (!Number.isInteger(tileX) || !Number.isInteger(tileY) || tileX < 0 || tileY < 0 || tileX >= tilesAcross || tileY >= tilesDown) {
      throw bad(`Tile (${tileX}, ${tileY}) is outside the ${tilesAcross} × ${tilesDown} tile grid.`, { tileX, tileY });
    }
    if (!(data instanceof info.ctor) || data.length !== tileLength) {
      throw bad(
        `Tile (${tileX}, ${tileY}) must be a ${info.ctor.name} of ${tileLength} samples (${tileSize}² pixels × ${bandCount} bands).`,
        { tileX, tileY, length: data.length },
      );
    }
    const index = tileY * tilesAcross + tileX;
    if (written[index]) throw bad(`Tile (${tileX}, ${tileY}) was written twice.`, { tileX, tileY });
    written[index] = 1;
    return index;
  }

  function append(index: number, payload: Uint8Array): void {
    if (!bigTiff && pos + payload.byteLength + directoryBound > MAX_CLASSIC) {
      throw bad(`${basename(path)} would exceed the 4 GiB limit of classic TIFF; write it as BigTIFF.`, { path });
    }
    offsets[index] = pos;
    byteCounts[index] = payload.byteLength;
    write(payload);
  }

  const bytesOf = (data: TileData): Uint8Array => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

  function writeTile(tileX: number, tileY: number, data: TileData): void {
    if (pending > 0) throw new MslensError('INTERNAL', 'writeTile was called while writeTileAsync calls are pending.');
    const index = claim(tileX, tileY, data);
    const raw = bytesOf(data);
    append(index, compression === 'deflate' ? deflateSync(raw, { level }) : raw);
  }

  let pending = 0;
  let queue: Promise<void> = Promise.resolve();
  /** The first failed asynchronous write; the file cannot be completed after it. */
  let failure: unknown;

  function writeTileAsync(tileX: number, tileY: number, data: TileData): Promise<void> {
    let index: number;
    try {
      index = claim(tileX, tileY, data);
    } catch (err) {
      return Promise.reject(err);
    }
    const raw = bytesOf(data);
    const payload: Promise<Uint8Array> = compression === 'deflate' ? deflateAsync(raw, { level }) : Promise.resolve(raw);
    payload.catch(() => undefined); // reported through `done` below
    pending++;
    const done = queue.then(async () => {
      try {
        const bytes = await payload;
        if (state === 'open' && failure === undefined) append(index, bytes);
      } catch (err) {
        failure ??= err;
        throw err;
      }
    });
    queue = done.then(
      () => void pending--,
      () => void pending--,
    );
    return done;
  }

  function entries(): Entry[] {
    const bits = new Array<number>(bandCount).fill(info.bits);
    const formats = new Array<number>(bandCount).fill(info.format);
    const offsetType = bigTiff ? LONG8_T : LONG_T;
    const citation = epsgCitation(epsg);
    const geoAscii = `${citation}|`;
    const geoKeys = [
      1, 1, 0, 5,
      1024, 0, 1, 1, // GTModelTypeGeoKey = ModelTypeProjected
      1025, 0, 1, 1, // GTRasterTypeGeoKey = RasterPixelIsArea
      1026, 34737, geoAscii.length, 0, // GTCitationGeoKey
      3072, 0, 1, epsg, // ProjectedCSTypeGeoKey
      3076, 0, 1, 9001, // ProjLinearUnitsGeoKey = metre
    ];
    const list: Entry[] = [
      { tag: 256, type: LONG_T, values: [width] },
      { tag: 257, type: LONG_T, values: [height] },
      { tag: 258, type: SHORT_T, values: bits },
      { tag: 259, type: SHORT_T, values: [compression === 'deflate' ? 8 : 1] },
      { tag: 262, type: SHORT_T, values: [1] }, // BlackIsZero
      { tag: 277, type: SHORT_T, values: [bandCount] },
      { tag: 284, type: SHORT_T, values: [1] }, // contiguous (pixel-interleaved)
      { tag: 305, type: ASCII_T, values: ascii('mslens') },
      { tag: 322, type: SHORT_T, values: [tileSize] },
      { tag: 323, type: SHORT_T, values: [tileSize] },
      { tag: 324, type: offsetType, values: Array.from(offsets) },
      { tag: 325, type: offsetType, values: Array.from(byteCounts) },
    ];
    if (bandCount > 1) list.push({ tag: 338, type: SHORT_T, values: new Array<number>(bandCount - 1).fill(0) });
    list.push(
      { tag: 339, type: SHORT_T, values: formats },
      { tag: 33550, type: DOUBLE_T, values: [transform[1], -transform[5], 0] },
      { tag: 33922, type: DOUBLE_T, values: [0, 0, 0, transform[0], transform[3], 0] },
      { tag: 34735, type: SHORT_T, values: geoKeys },
      { tag: 34737, type: ASCII_T, values: ascii(geoAscii) },
    );
    if (metadataXml !== null) list.push({ tag: 42112, type: ASCII_T, values: ascii(metadataXml) });
    if (nodata !== null) list.push({ tag: 42113, type: ASCII_T, values: ascii(nodataString(nodata)) });
    return list;
  }

  /** Serialises the directory to be placed at byte `start` of the file. */
  function encodeDirectory(list: Entry[], start: number): Uint8Array {
    const entrySize = bigTiff ? 20 : 12;
    const inline = bigTiff ? 8 : 4;
    const dirSize = bigTiff ? 8 + list.length * entrySize + 8 : 2 + list.length * entrySize + 4;
    let extra = 0;
    for (const e of list) {
      const size = e.values.length * TYPE_SIZE[e.type];
      if (size > inline) extra += size + (size & 1);
    }
    const buf = new ArrayBuffer(dirSize + extra);
    const view = new DataView(buf);
    const bytes = new Uint8Array(buf);
    let p = 0;
    let dataAt = dirSize;
    if (bigTiff) {
      view.setBigUint64(p, BigInt(list.length), le);
      p += 8;
    } else {
      view.setUint16(p, list.length, le);
      p += 2;
    }
    const putValues = (e: Entry, at: number): void => {
      const size = TYPE_SIZE[e.type];
      if (e.values instanceof Uint8Array) {
        bytes.set(e.values, at);
        return;
      }
      e.values.forEach((v, i) => {
        const o = at + i * size;
        switch (e.type) {
          case BYTE_T:
            view.setUint8(o, v);
            break;
          case SHORT_T:
            view.setUint16(o, v, le);
            break;
          case LONG_T:
            view.setUint32(o, v, le);
            break;
          case DOUBLE_T:
            view.setFloat64(o, v, le);
            break;
          case LONG8_T:
            view.setBigUint64(o, BigInt(v), le);
            break;
        }
      });
    };
    for (const e of [...list].sort((a, b) => a.tag - b.tag)) {
      view.setUint16(p, e.tag, le);
      view.setUint16(p + 2, e.type, le);
      if (bigTiff) view.setBigUint64(p + 4, BigInt(e.values.length), le);
      else view.setUint32(p + 4, e.values.length, le);
      const valueField = p + (bigTiff ? 12 : 8);
      const size = e.values.length * TYPE_SIZE[e.type];
      if (size <= inline) {
        putValues(e, valueField);
      } else {
        if (bigTiff) view.setBigUint64(valueField, BigInt(start + dataAt), le);
        else view.setUint32(valueField, start + dataAt, le);
        putValues(e, dataAt);
        dataAt += size + (size & 1);
      }
      p += entrySize;
    }
    // The next-IFD offset (0) is already zero.
    return bytes;
  }

  async function close(): Promise<void> {
    ensureOpen();
    await queue;
    ensureOpen();
    if (failure !== undefined) {
      await abort();
      throw failure;
    }
    try {
      if (pos & 1) write(new Uint8Array(1)); // the directory starts on a word boundary
      const start = pos;
      const dir = encodeDirectory(entries(), start);
      if (!bigTiff && start + dir.byteLength > MAX_CLASSIC) {
        throw bad(`${basename(path)} would exceed the 4 GiB limit of classic TIFF; write it as BigTIFF.`, { path });
      }
      write(dir);
      const patch = new DataView(new ArrayBuffer(bigTiff ? 8 : 4));
      if (bigTiff) patch.setBigUint64(0, BigInt(start), le);
      else patch.setUint32(0, start, le);
      try {
        rawWrite(new Uint8Array(patch.buffer), bigTiff ? 8 : 4);
        fsyncSync(fd);
        closeSync(fd);
      } catch (err) {
        throw ioError('write', tmpPath, err);
      }
      state = 'closed';
      try {
        renameSync(tmpPath, path);
      } catch (err) {
        rmSync(tmpPath, { force: true });
        throw ioError('replace', path, err);
      }
    } catch (err) {
      if (state === 'open') {
        state = 'aborted';
        closeQuietly();
      }
      throw err;
    }
  }

  async function abort(): Promise<void> {
    if (state !== 'open') return;
    state = 'aborted';
    await queue; // pending tiles see the new state and skip their write
    closeQuietly();
  }

  return {
    path,
    tileSize,
    tilesAcross,
    tilesDown,
    bigTiff,
    writeTile,
    writeTileAsync,
    close,
    abort,
  };
}
