/**
 * IndexTiles ⇄ Arrow record batches: the column layout of an index file, building batches for the
 * writer and appending batches the reader returns into preallocated typed arrays.
 */
import {
  Binary,
  Data,
  DataType,
  Field,
  FixedSizeList,
  Float32,
  Int32,
  makeData,
  Precision,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { GEOMETRY_COLUMN } from './geoparquet-meta.ts';
import type { IndexTiles } from './index-store.ts';
import { decodeFootprints, encodeFootprints, FOOTPRINT_COORDS } from './wkb.ts';

type StringKey = 'tileId' | 'sceneId';
type IntKey = 'row' | 'col' | 'x' | 'y' | 'width' | 'height';
export type FloatKey = 'validFraction' | 'cloudFraction' | 'shadowFraction' | 'snowFraction' | 'nodataFraction';

const STRING_COLUMNS: [name: string, key: StringKey][] = [['tile_id', 'tileId'], ['scene_id', 'sceneId']];
const INT_COLUMNS: [name: string, key: IntKey][] = [
  ['row', 'row'], ['col', 'col'], ['x', 'x'], ['y', 'y'], ['width', 'width'], ['height', 'height'],
];
/** The mask fractions are NaN (not null) where the scene had no SCL layer. */
const FLOAT_COLUMNS: [name: string, key: FloatKey][] = [
  ['valid_fraction', 'validFraction'], ['cloud_fraction', 'cloudFraction'], ['shadow_fraction', 'shadowFraction'],
  ['snow_fraction', 'snowFraction'], ['nodata_fraction', 'nodataFraction'],
];
export const EMBEDDING_COLUMN = 'embedding';

/** The IndexTiles keys that hold one number per tile. */
export const TILE_NUMBER_KEYS: readonly (IntKey | FloatKey)[] = [...INT_COLUMNS, ...FLOAT_COLUMNS].map(([, key]) => key);

/** Top-level column names, in file order. */
export const COLUMN_NAMES: readonly string[] = [
  ...STRING_COLUMNS.map(([name]) => name),
  ...INT_COLUMNS.map(([name]) => name),
  ...FLOAT_COLUMNS.map(([name]) => name),
  GEOMETRY_COLUMN,
  EMBEDDING_COLUMN,
];

/** Rows per Parquet row group and per batch in flight: about 16 MB of column data. */
export function rowsPerGroup(embeddingDim: number): number {
  return Math.max(1024, Math.floor((16 << 20) / (embeddingDim * 4 + 160) / 1024) * 1024);
}

function embeddingType(dim: number): FixedSizeList<Float32> {
  // 'element' is the child name Parquet's LIST layout uses, so the name survives a round trip.
  return new FixedSizeList(dim, new Field('element', new Float32(), false));
}

export function indexSchema(embeddingDim: number): Schema {
  return new Schema([
    ...STRING_COLUMNS.map(([name]) => new Field(name, new Utf8(), false)),
    ...INT_COLUMNS.map(([name]) => new Field(name, new Int32(), false)),
    ...FLOAT_COLUMNS.map(([name]) => new Field(name, new Float32(), false)),
    new Field(GEOMETRY_COLUMN, new Binary(), false),
    new Field(EMBEDDING_COLUMN, embeddingType(embeddingDim), false),
  ]);
}

/** Rows [from, to) as one record batch; numeric columns are views of `tiles`, not copies. */
export function makeIndexBatch(schema: Schema, tiles: IndexTiles, dim: number, from: number, to: number): RecordBatch {
  const length = to - from;
  const wkb = encodeFootprints(tiles.footprint, from, to);
  const children: Data[] = [
    ...STRING_COLUMNS.map(([, key]) => vectorFromArray(tiles[key].slice(from, to), new Utf8()).data[0]),
    ...INT_COLUMNS.map(([, key]) => makeData({ type: new Int32(), length, data: tiles[key].subarray(from, to) })),
    ...FLOAT_COLUMNS.map(([, key]) => makeData({ type: new Float32(), length, data: tiles[key].subarray(from, to) })),
    makeData({ type: new Binary(), length, valueOffsets: wkb.offsets, data: wkb.data }),
    makeData({
      type: embeddingType(dim),
      length,
      child: makeData({ type: new Float32(), length: length * dim, data: tiles.embeddings.subarray(from * dim, to * dim) }),
    }),
  ];
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, children }));
}

/** Why `schema` is not an index schema with embeddings of `dim`, or undefined if it is. */
export function checkIndexSchema(schema: Schema, dim: number): string | undefined {
  const type = (name: string): DataType | undefined => schema.fields.find((f) => f.name === name)?.type;
  const isInt32 = (t: DataType | undefined) => DataType.isInt(t) && t.bitWidth === 32 && t.isSigned;
  const isFloat32 = (t: DataType | undefined) => DataType.isFloat(t) && t.precision === Precision.SINGLE;
  const expect = (name: string, ok: boolean, what: string) => {
    const t = type(name);
    if (!t) return `no "${name}" column`;
    return ok ? undefined : `column "${name}" is ${String(t)}, expected ${what}`;
  };
  for (const [name] of STRING_COLUMNS) {
    const bad = expect(name, DataType.isUtf8(type(name)), 'Utf8');
    if (bad) return bad;
  }
  for (const [name] of INT_COLUMNS) {
    const bad = expect(name, isInt32(type(name)), 'Int32');
    if (bad) return bad;
  }
  for (const [name] of FLOAT_COLUMNS) {
    const bad = expect(name, isFloat32(type(name)), 'Float32');
    if (bad) return bad;
  }
  const geom = expect(GEOMETRY_COLUMN, DataType.isBinary(type(GEOMETRY_COLUMN)), 'Binary (WKB)');
  if (geom) return geom;
  const emb = type(EMBEDDING_COLUMN);
  return expect(
    EMBEDDING_COLUMN,
    DataType.isFixedSizeList(emb) && emb.listSize === dim && isFloat32(emb.children[0]?.type),
    `FixedSizeList[${dim}]<Float32>`,
  );
}

/** Empty IndexTiles for `n` rows of embeddings of `dim`. */
export function allocateTiles(n: number, dim: number): IndexTiles {
  return {
    tileId: new Array<string>(n), sceneId: new Array<string>(n),
    row: new Int32Array(n), col: new Int32Array(n), x: new Int32Array(n), y: new Int32Array(n),
    width: new Int32Array(n), height: new Int32Array(n),
    validFraction: new Float32Array(n), cloudFraction: new Float32Array(n), shadowFraction: new Float32Array(n),
    snowFraction: new Float32Array(n), nodataFraction: new Float32Array(n),
    footprint: new Float64Array(n * FOOTPRINT_COORDS),
    embeddings: new Float32Array(n * dim),
  };
}

/**
 * Copies a batch (already checked by `checkIndexSchema`) into `out` at row `at`: one `set` per
 * numeric column, a loop only for strings and WKB. Returns a reason if the batch has nulls or
 * foreign geometries, else undefined.
 */
export function appendIndexBatch(batch: RecordBatch, dim: number, out: IndexTiles, at: number): string | undefined {
  const n = batch.numRows;
  const column = (name: string): Data => {
    const data = batch.getChild(name)?.data;
    if (data?.length !== 1) throw new Error(`batch column ${name} has ${data?.length ?? 0} chunks`);
    return data[0];
  };
  for (const name of COLUMN_NAMES) {
    if (column(name).nullCount > 0) return `column "${name}" has nulls`;
  }
  for (const [name, key] of STRING_COLUMNS) readStrings(column(name), out[key], at);
  for (const [name, key] of INT_COLUMNS) out[key].set(primitive(column(name)), at);
  for (const [name, key] of FLOAT_COLUMNS) out[key].set(primitive(column(name)), at);

  const geom = column(GEOMETRY_COLUMN);
  const offsets = (geom.valueOffsets as Int32Array).subarray(geom.offset, geom.offset + n + 1);
  const bad = decodeFootprints(geom.values as Uint8Array, offsets, n, out.footprint, at);
  if (bad) return bad;

  const list = column(EMBEDDING_COLUMN);
  const child = list.children[0];
  const start = child.offset + list.offset * dim;
  out.embeddings.set((child.values as Float32Array).subarray(start, start + n * dim), at * dim);
  return undefined;
}

function primitive(data: Data): Int32Array | Float32Array {
  return (data.values as Int32Array | Float32Array).subarray(data.offset, data.offset + data.length);
}

const utf8 = new TextDecoder();

/** Utf8 column → strings; ASCII columns (all ids in practice) decode once and slice. */
function readStrings(data: Data, out: string[], at: number): void {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const lo = offsets[data.offset], hi = offsets[data.offset + data.length];
  let ascii = true;
  for (let i = lo; i < hi; i++) {
    if (bytes[i] > 0x7f) { ascii = false; break; }
  }
  if (ascii) {
    const all = Buffer.from(bytes.buffer, bytes.byteOffset + lo, hi - lo).toString('latin1');
    for (let i = 0; i < data.length; i++) {
      out[at + i] = all.slice(offsets[data.offset + i] - lo, offsets[data.offset + i + 1] - lo);
    }
  } else {
    for (let i = 0; i < data.length; i++) {
      out[at + i] = utf8.decode(bytes.subarray(offsets[data.offset + i], offsets[data.offset + i + 1]));
    }
  }
}
