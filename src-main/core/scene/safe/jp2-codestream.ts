/**
 * Just enough of JPEG 2000 (ISO 15444-1) to decode a big tiled band file one tile at a time
 * with a decoder that only decodes whole images: the JP2 boxes (codestream, GeoJP2, GMLJP2),
 * the codestream's SIZ and main header, and where each tile's tile-parts lie.
 *
 * One tile is decoded as a codestream of its own: the main header with SIZ narrowed to the
 * tile (image and tile-grid origin on the tile's corner, so there is one tile, with the same
 * reference-grid coordinates as in the full image), then that tile's tile-parts renumbered as
 * tile 0. Wavelet, precinct and code-block geometry depend only on those absolute coordinates,
 * so the result is bit-identical to the same tile cut from a full decode (see safe.test.ts),
 * and only the tile's bytes are read and only a tile's worth of memory is used.
 * TLM and PLM (lengths for all tiles) are left out of the main header; a codestream with
 * packed packet headers in the main header (PPM) cannot be split and is decoded whole.
 */
import type { PixelWindow } from '../types.ts';
import { TruncatedError, type ByteRange } from './byte-range.ts';

/** Why a file is not a JPEG 2000 band mslens can read (a phrase: "it holds 3 components"). */
export class Jp2FormatError extends Error {
  override readonly name = 'Jp2FormatError';
}

const JP2_SIGNATURE = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];
const GEOJP2_UUID = 'b14bf8bd083d4b43a5ae8cd7d5a6ce03';
/** Boxes read into memory to look for metadata; bigger ones are skipped. */
const MAX_METADATA_BOX = 4 << 20;

const SOC = 0xff4f;
const SIZ = 0xff51;
const TLM = 0xff55;
const PLM = 0xff57;
const PPM = 0xff60;
const SOT = 0xff90;
const EOC = 0xffd9;

export interface Jp2Container {
  /** The codestream's place in the file. */
  codestream: { start: number; length: number };
  /** The degenerate GeoTIFF of a GeoJP2 box. */
  geoJp2?: Uint8Array;
  /** The XML boxes (a GMLJP2 description among them), at any depth of association boxes. */
  xml: string[];
}

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
const fourCC = (b: Uint8Array, at: number): string => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);

interface Box {
  type: string;
  /** Where its contents start and end. */
  body: number;
  end: number;
}

/** The box whose header `head` starts at `at`, in a run of boxes ending at `limit`. */
function boxAt(head: Uint8Array, at: number, limit: number): Box {
  const dv = view(head);
  let length = dv.getUint32(0);
  const type = fourCC(head, 4);
  let header = 8;
  if (length === 1) {
    const big = dv.getBigUint64(8);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Jp2FormatError(`its ${type.trim()} box is impossibly large`);
    length = Number(big);
    header = 16;
  } else if (length === 0) length = limit - at;
  if (length < header) throw new Jp2FormatError(`its ${JSON.stringify(type)} box at byte ${at} is damaged`);
  return { type, body: at + header, end: at + length };
}

function collectXml(bytes: Uint8Array, start: number, end: number, out: string[]): void {
  let at = start;
  while (at + 8 <= end) {
    const box = boxAt(bytes.subarray(at, Math.min(end, at + 16)), at, end);
    if (box.end > end) return;
    if (box.type === 'asoc') collectXml(bytes, box.body, box.end, out);
    else if (box.type === 'xml ') out.push(new TextDecoder().decode(bytes.subarray(box.body, box.end)));
    at = box.end;
  }
}

/** The JP2 boxes of a file, or the whole file when it is a bare codestream (.j2k). */
export async function readJp2Container(src: ByteRange): Promise<Jp2Container> {
  if (src.size < 12) throw new Jp2FormatError(`it is only ${src.size} bytes long`);
  const first = await src.read(0, 12);
  if (view(first).getUint16(0) === SOC && view(first).getUint16(2) === SIZ) return { codestream: { start: 0, length: src.size }, xml: [] };
  if (!JP2_SIGNATURE.every((v, i) => first[i] === v)) throw new Jp2FormatError('it does not start with a JPEG 2000 signature');
  const out: Jp2Container = { codestream: { start: 0, length: 0 }, xml: [] };
  let at = 12;
  while (at + 8 <= src.size) {
    const box = boxAt(await src.read(at, Math.min(16, src.size - at)), at, src.size);
    if (box.end > src.size) {
      if (box.type === 'jp2c') throw new TruncatedError(`its codestream runs to byte ${box.end} but the file ends at ${src.size}`);
      break;
    }
    const size = box.end - box.body;
    if (box.type === 'jp2c') {
      out.codestream = { start: box.body, length: size };
    } else if (box.type === 'uuid' && size >= 16 && size <= MAX_METADATA_BOX) {
      const body = await src.read(box.body, size);
      if (Buffer.from(body.subarray(0, 16)).toString('hex') === GEOJP2_UUID) out.geoJp2 = body.subarray(16);
    } else if ((box.type === 'asoc' || box.type === 'xml ') && size <= MAX_METADATA_BOX) {
      const whole = await src.read(at, box.end - at);
      collectXml(whole, 0, whole.length, out.xml);
    }
    at = box.end;
  }
  if (!out.codestream.length) throw new Jp2FormatError('it holds no JPEG 2000 codestream (no jp2c box)');
  return out;
}

export interface CodestreamLayout {
  /** Image size in pixels and its origin on the reference grid. */
  width: number;
  height: number;
  x0: number;
  y0: number;
  /** Tile size and tile-grid origin on the reference grid. */
  tileWidth: number;
  tileHeight: number;
  tileX0: number;
  tileY0: number;
  tilesAcross: number;
  tilesDown: number;
  /** Bits per sample (1–38) and signedness of the one component. */
  bits: number;
  signed: boolean;
  /** False when tiles cannot be decoded one by one (PPM): the image is then one tile. */
  splittable: boolean;
  codestream: { start: number; length: number };
  siz: Uint8Array;
  /** The main header after SIZ, less TLM and PLM. */
  mainRest: Uint8Array;
  /** Per tile: its tile-parts as file offset, length pairs. */
  parts: number[][];
}

/** Reads the codestream's main header and finds every tile-part (a 12-byte read per tile-part). */
export async function readCodestreamLayout(src: ByteRange, codestream: { start: number; length: number }): Promise<CodestreamLayout> {
  const { start, length } = codestream;
  let chunk = await src.read(start, Math.min(length, 64 << 10));
  let dv = view(chunk);
  if (chunk.length < 4 || dv.getUint16(0) !== SOC || dv.getUint16(2) !== SIZ) throw new Jp2FormatError('its codestream does not start with SOC and SIZ markers');
  const kept: Uint8Array[] = [];
  let siz: Uint8Array | null = null;
  let ppm = false;
  let at = 2;
  for (;;) {
    if (at + 4 > chunk.length) {
      if (chunk.length >= length) throw new TruncatedError('the codestream ends inside its main header');
      chunk = await src.read(start, Math.min(length, chunk.length * 4));
      dv = view(chunk);
      continue;
    }
    const marker = dv.getUint16(at);
    if (marker === SOT) break;
    if (marker >> 8 !== 0xff) throw new Jp2FormatError(`its codestream main header is damaged at byte ${at}`);
    const seg = 2 + dv.getUint16(at + 2);
    if (at + seg > chunk.length) {
      if (chunk.length >= length) throw new TruncatedError('the codestream ends inside its main header');
      chunk = await src.read(start, Math.min(length, Math.max(chunk.length * 4, at + seg)));
      dv = view(chunk);
      continue;
    }
    const bytes = chunk.slice(at, at + seg);
    if (marker === SIZ) siz = bytes;
    else if (marker === PPM) ppm = true;
    if (marker !== SIZ && marker !== TLM && marker !== PLM) kept.push(bytes);
    at += seg;
  }
  if (!siz) throw new Jp2FormatError('its codestream has no SIZ marker');
  const s = view(siz);
  const [X, Y, XO, YO, XT, YT, XTO, YTO] = Array.from({ length: 8 }, (_, i) => s.getUint32(6 + 4 * i));
  const components = s.getUint16(38);
  if (components !== 1) throw new Jp2FormatError(`it holds ${components} components, not the one of a band file`);
  const ssiz = s.getUint8(40);
  if (s.getUint8(41) !== 1 || s.getUint8(42) !== 1) throw new Jp2FormatError('its component is subsampled');
  if (X <= XO || Y <= YO || XT === 0 || YT === 0 || XTO > XO || YTO > YO) throw new Jp2FormatError('its SIZ marker describes an impossible image');
  const tilesAcross = Math.ceil((X - XTO) / XT);
  const tilesDown = Math.ceil((Y - YTO) / YT);
  const tileCount = tilesAcross * tilesDown;
  const parts: number[][] = Array.from({ length: tileCount }, () => []);
  const declared = new Array<number>(tileCount).fill(0);

  let endsWithEoc = false;
  if (length >= 2) {
    const tail = view(await src.read(start + length - 2, 2));
    endsWithEoc = tail.getUint16(0) === EOC;
  }
  let pos = at;
  const head = new Uint8Array(12);
  while (pos + 2 <= length) {
    const n = Math.min(12, length - pos);
    const h = view(await src.read(start + pos, n, head));
    const marker = h.getUint16(0);
    if (marker === EOC) break;
    if (marker !== SOT || n < 12) throw new Jp2FormatError(`its codestream is damaged: no tile-part where one should start (byte ${pos})`);
    const tile = h.getUint16(4);
    let psot = h.getUint32(6);
    const tnsot = h.getUint8(11);
    if (tile >= tileCount) throw new Jp2FormatError(`its codestream names tile ${tile} of ${tileCount}`);
    if (psot === 0) psot = length - pos - (endsWithEoc ? 2 : 0);
    if (psot < 14) throw new Jp2FormatError(`its tile-part of tile ${tile} is damaged`);
    if (pos + psot > length) throw new TruncatedError(`tile ${tile} runs past the end of the file`);
    parts[tile].push(start + pos, psot);
    if (tnsot) declared[tile] = tnsot;
    pos += psot;
  }
  parts.forEach((p, t) => {
    if (!p.length) throw new TruncatedError(`tile ${t} of ${tileCount} is missing`);
    if (declared[t] && p.length / 2 !== declared[t]) throw new TruncatedError(`tile ${t} has ${p.length / 2} of its ${declared[t]} parts`);
  });

  const mainRest = concat(kept);
  const layout: CodestreamLayout = {
    width: X - XO, height: Y - YO, x0: XO, y0: YO,
    tileWidth: XT, tileHeight: YT, tileX0: XTO, tileY0: YTO, tilesAcross, tilesDown,
    bits: (ssiz & 0x7f) + 1, signed: (ssiz & 0x80) !== 0,
    splittable: !ppm, codestream, siz, mainRest, parts,
  };
  if (ppm) Object.assign(layout, { tileWidth: X - XO, tileHeight: Y - YO, tileX0: XO, tileY0: YO, tilesAcross: 1, tilesDown: 1 });
  return layout;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** A tile's rectangle in image pixels. */
export function tileRect(l: CodestreamLayout, tile: number): PixelWindow {
  const col = tile % l.tilesAcross;
  const row = Math.floor(tile / l.tilesAcross);
  const x0 = Math.max(l.tileX0 + col * l.tileWidth, l.x0);
  const y0 = Math.max(l.tileY0 + row * l.tileHeight, l.y0);
  const x1 = Math.min(l.tileX0 + (col + 1) * l.tileWidth, l.x0 + l.width);
  const y1 = Math.min(l.tileY0 + (row + 1) * l.tileHeight, l.y0 + l.height);
  return { x: x0 - l.x0, y: y0 - l.y0, width: x1 - x0, height: y1 - y0 };
}

/** A codestream holding only `tile` (the whole codestream when the layout cannot be split). */
export async function tileCodestream(src: ByteRange, l: CodestreamLayout, tile: number): Promise<Uint8Array> {
  if (!l.splittable) return src.read(l.codestream.start, l.codestream.length);
  const r = tileRect(l, tile);
  const parts = l.parts[tile];
  let dataBytes = 0;
  for (let i = 1; i < parts.length; i += 2) dataBytes += parts[i];
  const out = new Uint8Array(2 + l.siz.length + l.mainRest.length + dataBytes + 2);
  const dv = view(out);
  dv.setUint16(0, SOC);
  out.set(l.siz, 2);
  const tx0 = r.x + l.x0;
  const ty0 = r.y + l.y0;
  // SIZ fields after marker, Lsiz and Rsiz: Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz.
  dv.setUint32(2 + 6, tx0 + r.width);
  dv.setUint32(2 + 10, ty0 + r.height);
  dv.setUint32(2 + 14, tx0);
  dv.setUint32(2 + 18, ty0);
  dv.setUint32(2 + 30, tx0);
  dv.setUint32(2 + 34, ty0);
  let o = 2 + l.siz.length;
  out.set(l.mainRest, o);
  o += l.mainRest.length;
  for (let i = 0; i < parts.length; i += 2) {
    await src.read(parts[i], parts[i + 1], out.subarray(o, o + parts[i + 1]));
    dv.setUint16(o + 4, 0);
    o += parts[i + 1];
  }
  dv.setUint16(o, EOC);
  return out;
}
