/**
 * A streaming writer for tiled GeoTIFFs.
 *
 * Tiles are compressed and appended to a temporary file as they arrive, so memory stays at one
 * tile whatever the raster size (a 10980 × 10980 × 12 int16 scene is 2.9 GB of samples). The
 * image file directory goes at the end, and the header's first-IFD offset is patched to point
 * at it. `close()` then renames the temporary file to the final path, so nothing half-written
 * is ever visible under that name.
 *
 * Layout: one image, optionally followed by reduced-resolution overviews (each half the size
 * of the one before, rounded up, as GDAL makes them), pixel-interleaved tiles
 * (PlanarConfiguration 1), no predictor, classic TIFF or BigTIFF when the worst-case size could
 * pass 4 GiB. GeoTIFF keys for a projected CRS given by EPSG code, PixelIsArea; GDAL's own tags
 * for nodata (42113) and for band descriptions and dataset metadata (42112).
 *
 * With `cog`, `close()` rewrites the file in the layout of a Cloud Optimized GeoTIFF: header,
 * GDAL's structural-metadata "ghost" area, every directory, then the tile data from the smallest
 * overview to the full image, so a reader over HTTP gets all directories with its first range
 * request. That costs one more pass over the tile data, which is small for the previews and
 * overviews it is meant for.
 *
 * References: TIFF 6.0 (Adobe 1992) §15 (tiles); BigTIFF (libtiff.org/bigtiff); OGC GeoTIFF
 * 1.1 (19-008r4); GDAL GTiff driver documentation (GDAL_NODATA, GDAL_METADATA, sparse files);
 * GDAL COG driver documentation (header ghost area, IFDs before data, overviews before the image).
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
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
  /**
   * Reduced-resolution levels after the full image, level k being ceil(size / 2^k) pixels;
   * their tiles are written with writeTile's `level`. @default 0
   */
  overviews?: number;
  /** Rewrite the file at close in the Cloud Optimized GeoTIFF layout (see above). @default false */
  cog?: boolean;
}

/** Size and tile grid of one level: the full image (level 0) or an overview. */
export interface WriterLevel {
  width: number;
  height: number;
  tilesAcross: number;
  tilesDown: number;
}

export interface GeoTiffWriter {
  readonly path: string;
  readonly tileSize: number;
  readonly tilesAcross: number;
  readonly tilesDown: number;
  readonly bigTiff: boolean;
  /** The full image, then each overview. */
  readonly levels: readonly WriterLevel[];
  /**
   * Compresses and appends one tile of `level` (0, the full image, by default). `data` holds tileSize × tileSize × bandCount samples,
   * pixel-interleaved, row-major; tiles at the right and bottom edges are padded to full size.
   * Tiles may come in any order, each once. Tiles never written are stored sparse (offset 0,
   * byte count 0), which GDAL and geotiff.js read as nodata (or 0 without nodata).
   */
  writeTile(tileX: number, tileY: number, data: TileData, level?: number): void;
  /**
   * Like `writeTile`, but compresses on the libuv thread pool, so the caller can prepare the
   * next tile meanwhile. Tiles are appended in call order whatever order compression finishes
   * in, so the file is the same as with `writeTile`. Leave `data` untouched until the promise
   * settles. Do not mix with `writeTile` while such writes are pending.
   */
  writeTileAsync(tileX: number, tileY: number, data: TileData, level?: number): Promise<void>;
  /** Waits for pending tiles, writes the directories, flushes, and renames the temporary file to `path`. */
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
/** NewSubfileType bit 0: a reduced-resolution version of another image in the file. */
const REDUCED_RESOLUTION = 1;
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
  const overviews = opts.overviews ?? 0;
  if (!Number.isInteger(overviews) || overviews < 0 || overviews > 30) {
    throw bad(`Overview count ${overviews} is not valid; use a whole number from 0 to 30.`, { overviews });
  }
}

/** Level 0 and its overviews: level k is ceil(size / 2^k) pixels, as GDAL sizes overviews. */
export function writerLevels(width: number, height: number, tileSize: number, overviews: number): WriterLevel[] {
  return Array.from({ length: overviews + 1 }, (_, k) => {
    const w = Math.ceil(width / 2 ** k);
    const h = Math.ceil(height / 2 ** k);
    return { width: w, height: h, tilesAcross: Math.ceil(w / tileSize), tilesDown: Math.ceil(h / tileSize) };
  });
}

/** GDAL's structural metadata, read by GDAL (and its COG validator) right after the header. */
function cogGhostArea(): Uint8Array {
  const body = 'LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nKNOWN_INCOMPATIBLE_EDITION=NO\n';
  const text = `GDAL_STRUCTURAL_METADATA_SIZE=${String(body.length).padStart(6, '0')} bytes\n${body}`;
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

/** Opens a temporary file next to `opts.path` and returns a writer for it. */
export function createGeoTiffWriter(opts: GeoTiffWriterOptions): GeoTiffWriter {
  validate(opts);
  const { path, width, height, bandCount, transform, epsg } = opts;
  const tileSize = opts.tileSize ?? 256;
  const compression = opts.compression ?? 'deflate';
  const level = opts.deflateLevel ?? 6;
  const nodata = opts.nodata ?? null;
  const cog = opts.cog ?? false;
  const info = SAMPLE_INFO[opts.sampleType];
  const bytesPerSample = info.bits / 8;
  const levels = writerLevels(width, height, tileSize, opts.overviews ?? 0);
  const { tilesAcross, tilesDown } = levels[0];
  const tileCount = levels.reduce((n, l) => n + l.tilesAcross * l.tilesDown, 0);
  const tileLength = tileSize * tileSize * bandCount;
  const tileBytes = tileLength * bytesPerSample;

  const metadataXml = gdalMetadataXml(opts.metadata ?? {}, opts.bandDescriptions ?? []);
  // Worst case: every tile at its deflate bound, plus the directories, their arrays and the ghost area.
  const directoryBound = levels.length * (4096 + bandCount * 8) + tileCount * 16 + (metadataXml?.length ?? 0) * 2 + (cog ? 256 : 0);
  const worstCase =
    16 + tileCount * (compression === 'deflate' ? deflateBound(tileBytes) : tileBytes) + directoryBound;
  const bigTiff = opts.bigTiff === 'auto' || opts.bigTiff === undefined ? worstCase > MAX_CLASSIC : opts.bigTiff;

  const le = endianness() === 'LE';
  const tmpPath = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  const cogTmpPath = `${tmpPath}.cog`;
  let fd: number;
  try {
    fd = openSync(tmpPath, cog ? 'w+' : 'w'); // COG: tiles are read back at close
  } catch (err) {
    throw ioError('create', tmpPath, err);
  }

  /** Per level: byte offsets (exact up to 2^53), byte counts, and which tiles were written. */
  const tiles = levels.map((l) => {
    const n = l.tilesAcross * l.tilesDown;
    return { offsets: new Float64Array(n), byteCounts: new Float64Array(n), written: new Uint8Array(n) };
  });
  let state: 'open' | 'closed' | 'aborted' = 'open';

  const headerSize = bigTiff ? 16 : 8;
  let pos = 0;

  function rawWrite(target: number, buf: Uint8Array, at: number): void {
    let done = 0;
    while (done < buf.byteLength) {
      done += writeSync(target, buf, done, buf.byteLength - done, at + done);
    }
  }

  function write(buf: Uint8Array): void {
    try {
      rawWrite(fd, buf, pos);
    } catch (err) {
      throw ioError('write', tmpPath, err);
    }
    pos += buf.byteLength;
  }

  /** A header whose first-IFD offset is `firstIfd` (0 until close() knows it). */
  function header(firstIfd: number): Uint8Array {
    const h = new DataView(new ArrayBuffer(headerSize));
    h.setUint8(0, le ? 0x49 : 0x4d);
    h.setUint8(1, le ? 0x49 : 0x4d);
    if (bigTiff) {
      h.setUint16(2, 43, le);
      h.setUint16(4, 8, le);
      h.setUint16(6, 0, le);
      h.setBigUint64(8, BigInt(firstIfd), le);
    } else {
      h.setUint16(2, 42, le);
      h.setUint32(4, firstIfd, le);
    }
    return new Uint8Array(h.buffer);
  }

  try {
    write(header(0));
  } catch (err) {
    closeQuietly();
    throw err;
  }

  function closeQuietly(): void {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    rmSync(tmpPath, { force: true });
    rmSync(cogTmpPath, { force: true });
  }

  function ensureOpen(): void {
    if (state !== 'open') throw new MslensError('INTERNAL', `The GeoTIFF writer for ${basename(path)} is already ${state}.`);
  }

  /** Checks a tile's position and data, reserves its slot, and returns its index in its level. */
  function claim(tileX: number, tileY: number, data: TileData, lvl: number): number {
    ensureOpen();
    const l = levels[lvl];
    if (!l) throw bad(`Level ${lvl} does not exist; this file has levels 0 to ${levels.length - 1}.`, { level: lvl });
    const where = lvl === 0 ? '' : ` of overview ${lvl}`;
    if (!Number.isInteger(tileX) || !Number.isInteger(tileY) || tileX < 0 || tileY < 0 || tileX >= l.tilesAcross || tileY >= l.tilesDown) {
      throw bad(`Tile (${tileX}, ${tileY}) is outside the ${l.tilesAcross} × ${l.tilesDown} tile grid${where}.`, { tileX, tileY, level: lvl });
    }
    if (!(data instanceof info.ctor) || data.length !== tileLength) {
      throw bad(
        `Tile (${tileX}, ${tileY})${where} must be a ${info.ctor.name} of ${tileLength} samples (${tileSize}² pixels × ${bandCount} bands).`,
        { tileX, tileY, length: data.length },
      );
    }
    const index = tileY * l.tilesAcross + tileX;
    if (tiles[lvl].written[index]) throw bad(`Tile (${tileX}, ${tileY})${where} was written twice.`, { tileX, tileY, level: lvl });
    tiles[lvl].written[index] = 1;
    return index;
  }

  function append(lvl: number, index: number, payload: Uint8Array): void {
    if (!bigTiff && pos + payload.byteLength + directoryBound > MAX_CLASSIC) {
      throw bad(`${basename(path)} would exceed the 4 GiB limit of classic TIFF; write it as BigTIFF.`, { path });
    }
    tiles[lvl].offsets[index] = pos;
    tiles[lvl].byteCounts[index] = payload.byteLength;
    write(payload);
  }

  const bytesOf = (data: TileData): Uint8Array => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

  function writeTile(tileX: number, tileY: number, data: TileData, lvl = 0): void {
    if (pending > 0) throw new MslensError('INTERNAL', 'writeTile was called while writeTileAsync calls are pending.');
    const index = claim(tileX, tileY, data, lvl);
    const raw = bytesOf(data);
    append(lvl, index, compression === 'deflate' ? deflateSync(raw, { level }) : raw);
  }

  let pending = 0;
  let queue: Promise<void> = Promise.resolve();
  /** The first failed asynchronous write; the file cannot be completed after it. */
  let failure: unknown;

  function writeTileAsync(tileX: number, tileY: number, data: TileData, lvl = 0): Promise<void> {
    let index: number;
    try {
      index = claim(tileX, tileY, data, lvl);
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
        if (state === 'open' && failure === undefined) append(lvl, index, bytes);
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

  /** The directory entries of one level, with its tiles at `offsets`. */
  function entries(lvl: number, offsets: Float64Array): Entry[] {
    const l = levels[lvl];
    const bits = new Array<number>(bandCount).fill(info.bits);
    const formats = new Array<number>(bandCount).fill(info.format);
    const offsetType = bigTiff ? LONG8_T : LONG_T;
    const list: Entry[] = [];
    if (lvl > 0) list.push({ tag: 254, type: LONG_T, values: [REDUCED_RESOLUTION] });
    list.push(
      { tag: 256, type: LONG_T, values: [l.width] },
      { tag: 257, type: LONG_T, values: [l.height] },
      { tag: 258, type: SHORT_T, values: bits },
      { tag: 259, type: SHORT_T, values: [compression === 'deflate' ? 8 : 1] },
      { tag: 262, type: SHORT_T, values: [1] }, // BlackIsZero
      { tag: 277, type: SHORT_T, values: [bandCount] },
      { tag: 284, type: SHORT_T, values: [1] }, // contiguous (pixel-interleaved)
    );
    if (lvl === 0) list.push({ tag: 305, type: ASCII_T, values: ascii('mslens') });
    list.push(
      { tag: 322, type: SHORT_T, values: [tileSize] },
      { tag: 323, type: SHORT_T, values: [tileSize] },
      { tag: 324, type: offsetType, values: Array.from(offsets) },
      { tag: 325, type: offsetType, values: Array.from(tiles[lvl].byteCounts) },
    );
    if (bandCount > 1) list.push({ tag: 338, type: SHORT_T, values: new Array<number>(bandCount - 1).fill(0) });
    list.push({ tag: 339, type: SHORT_T, values: formats });
    if (lvl === 0) {
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
      list.push(
        { tag: 33550, type: DOUBLE_T, values: [transform[1], -transform[5], 0] },
        { tag: 33922, type: DOUBLE_T, values: [0, 0, 0, transform[0], transform[3], 0] },
        { tag: 34735, type: SHORT_T, values: geoKeys },
        { tag: 34737, type: ASCII_T, values: ascii(geoAscii) },
      );
      if (metadataXml !== null) list.push({ tag: 42112, type: ASCII_T, values: ascii(metadataXml) });
    }
    if (nodata !== null) list.push({ tag: 42113, type: ASCII_T, values: ascii(nodataString(nodata)) });
    return list;
  }

  /** Serialises a directory to be placed at byte `start` of the file, pointing to the next at `next` (0: none). */
  function encodeDirectory(list: Entry[], start: number, next: number): Uint8Array {
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
    if (bigTiff) view.setBigUint64(p, BigInt(next), le);
    else view.setUint32(p, next, le);
    return bytes;
  }

  /**
   * The directories of every level, chained, laid out from byte `start` (a word boundary), with
   * each level's tiles at the offsets `offsetsOf` gives. Sizes do not depend on the offsets.
   */
  function directories(start: number, offsetsOf: (lvl: number) => Float64Array): { bytes: Uint8Array[]; starts: number[]; end: number } {
    const lists = levels.map((_, lvl) => entries(lvl, offsetsOf(lvl)));
    const starts: number[] = [];
    let at = start;
    for (const list of lists) {
      starts.push(at);
      at += encodeDirectory(list, 0, 0).byteLength;
    }
    const bytes = lists.map((list, lvl) => encodeDirectory(list, starts[lvl], starts[lvl + 1] ?? 0));
    if (!bigTiff && at > MAX_CLASSIC) {
      throw bad(`${basename(path)} would exceed the 4 GiB limit of classic TIFF; write it as BigTIFF.`, { path });
    }
    return { bytes, starts, end: at };
  }

  /** Streamed layout: the directories after the tile data, the header patched to point at them. */
  function finishStreamed(): void {
    if (pos & 1) write(new Uint8Array(1)); // directories start on a word boundary
    const dirs = directories(pos, (lvl) => tiles[lvl].offsets);
    for (const d of dirs.bytes) write(d);
    try {
      rawWrite(fd, header(dirs.starts[0]), 0);
      fsyncSync(fd);
      closeSync(fd);
    } catch (err) {
      throw ioError('write', tmpPath, err);
    }
  }

  /**
   * COG layout: header, ghost area and directories first, then the tile data copied from the
   * temporary file, smallest overview first and row-major within a level.
   */
  function finishCog(): void {
    const ghost = cogGhostArea();
    const dirStart = headerSize + ghost.byteLength + ((headerSize + ghost.byteLength) & 1);
    const sizes = directories(dirStart, (lvl) => tiles[lvl].offsets).end - dirStart;
    const moved = tiles.map((t) => new Float64Array(t.offsets.length));
    let at = dirStart + sizes;
    let largest = 0;
    for (let lvl = levels.length - 1; lvl >= 0; lvl--) {
      const t = tiles[lvl];
      for (let i = 0; i < t.offsets.length; i++) {
        if (!t.written[i]) continue;
        moved[lvl][i] = at;
        at += t.byteCounts[i];
        largest = Math.max(largest, t.byteCounts[i]);
      }
    }
    if (!bigTiff && at > MAX_CLASSIC) {
      throw bad(`${basename(path)} would exceed the 4 GiB limit of classic TIFF; write it as BigTIFF.`, { path });
    }
    const dirs = directories(dirStart, (lvl) => moved[lvl]);
    let out: number;
    try {
      out = openSync(cogTmpPath, 'w');
    } catch (err) {
      throw ioError('create', cogTmpPath, err);
    }
    try {
      rawWrite(out, header(dirs.starts[0]), 0);
      rawWrite(out, ghost, headerSize);
      dirs.bytes.forEach((d, lvl) => rawWrite(out, d, dirs.starts[lvl]));
      const buf = new Uint8Array(largest);
      for (let lvl = levels.length - 1; lvl >= 0; lvl--) {
        const t = tiles[lvl];
        for (let i = 0; i < t.offsets.length; i++) {
          if (!t.written[i]) continue;
          const n = t.byteCounts[i];
          let got = 0;
          while (got < n) got += readSync(fd, buf, got, n - got, t.offsets[i] + got);
          rawWrite(out, buf.subarray(0, n), moved[lvl][i]);
        }
      }
      fsyncSync(out);
      closeSync(out);
      closeSync(fd);
    } catch (err) {
      try {
        closeSync(out);
      } catch {
        /* already closed */
      }
      throw ioError('write', cogTmpPath, err);
    }
    rmSync(tmpPath, { force: true });
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
      if (cog) finishCog();
      else finishStreamed();
      state = 'closed';
      const done = cog ? cogTmpPath : tmpPath;
      try {
        renameSync(done, path);
      } catch (err) {
        rmSync(done, { force: true });
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
    levels,
    writeTile,
    writeTileAsync,
    close,
    abort,
  };
}
