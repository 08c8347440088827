/**
 * Index files: one GeoParquet 1.1 file per scene index, one row per tile (see DESIGN.md, "Index
 * store"). Written and read in row-group-sized batches, so WebAssembly memory stays near one row
 * group (~16 MB of columns) however large the index is; parquet-wasm's memory never shrinks.
 */
import { openAsBlob } from 'node:fs';
import { requireInputFile } from '../input-files.ts';
import { basename } from 'node:path';
import { Table as ArrowTable, tableFromIPC, tableToIPC, type Schema } from 'apache-arrow';
import {
  Compression,
  Encoding,
  ParquetFile,
  Table as WasmTable,
  transformParquetStream,
  WriterPropertiesBuilder,
  type RecordBatch as WasmRecordBatch,
} from 'parquet-wasm';
import { MslensError, throwIfAborted } from '../errors.ts';
import { writeFileAtomically } from './atomic-write.ts';
import { GEO_KEY, IndexMetaSchema, makeGeoMetadata, MSLENS_KEY, parseIndexMeta } from './geoparquet-meta.ts';
import {
  allocateTiles,
  appendIndexBatch,
  checkIndexSchema,
  COLUMN_NAMES,
  indexSchema,
  makeIndexBatch,
  rowsPerGroup,
  TILE_NUMBER_KEYS,
} from './index-columns.ts';
import { FOOTPRINT_COORDS, footprintBbox } from './wkb.ts';

/** Stored as JSON under the Parquet key-value metadata key "mslens". */
export interface IndexMeta {
  /** 2 added the shadow, snow and nodata fraction columns, the skip counts and the masks. */
  formatVersion: 2;
  /** Stable id, e.g. content-hash based. */
  indexId: string;
  sceneId: string;
  scenePath: string;
  /** Hash of the scene content. */
  sceneKey: string;
  modelId: string;
  modelSha256: string;
  embeddingDim: number;
  tiling: { size: number; stride: number };
  sceneCrs: { epsg: number; proj4: string };
  sceneSize: { width: number; height: number };
  /** The scene's acquisition date (YYYY-MM-DD), when it declares one. */
  date?: string;
  /** The scene's MGRS tile id (e.g. "33UUP"), when its metadata or names give one. */
  mgrsTile?: string;
  /** ISO 8601. */
  createdAt: string;
  tilesTotal: number;
  /** Tiles not in the index: tilesSkippedNodata + tilesSkippedCloudy. */
  tilesSkipped: number;
  /** Tiles with too little valid data. */
  tilesSkippedNodata: number;
  /** Tiles whose cloud fraction was above maxCloudFraction. */
  tilesSkippedCloudy: number;
  /** Where the per-tile cloud, shadow, snow and nodata fractions come from; null: unknown (NaN). */
  masks: 'SCL' | null;
  /** Tiles with a larger cloud fraction were skipped (only where masks are known). */
  maxCloudFraction: number;
}

/** Columnar tiles, N rows. */
export interface IndexTiles {
  /** Stable ids like "r003c007". */
  tileId: string[];
  sceneId: string[];
  row: Int32Array;
  col: Int32Array;
  /** Pixel window. */
  x: Int32Array;
  y: Int32Array;
  width: Int32Array;
  height: Int32Array;
  validFraction: Float32Array;
  /** Fractions of the tile's pixels that the SCL calls cloud (8, 9, 10), cloud shadow (3), snow (11) and nodata (0, 1); NaN without SCL. */
  cloudFraction: Float32Array;
  shadowFraction: Float32Array;
  snowFraction: Float32Array;
  nodataFraction: Float32Array;
  /**
   * N × 10: closed ring (4 corners + the first repeated) of lon/lat pairs, EPSG:4326 with x = lon,
   * y = lat, counter-clockwise (RFC 7946 right-hand rule).
   */
  footprint: Float64Array;
  /** N × embeddingDim, row-major, L2-normalised. */
  embeddings: Float32Array;
}

/**
 * Writes an index atomically: a temporary file beside `path` is written, fsynced and renamed over
 * `path`; on any failure (including `signal` aborting) the temporary file is removed and `path` is
 * untouched. Mismatched array lengths are a caller bug and throw a plain Error.
 */
export async function writeIndexFile(path: string, meta: IndexMeta, tiles: IndexTiles, signal?: AbortSignal): Promise<void> {
  const parsed = IndexMetaSchema.safeParse(meta);
  if (!parsed.success) throw new Error(`Invalid IndexMeta: ${parsed.error.message}`);
  const dim = meta.embeddingDim;
  const n = checkTileLengths(tiles, dim);
  throwIfAborted(signal);

  const kv = new Map([
    [GEO_KEY, JSON.stringify(makeGeoMetadata(footprintBbox(tiles.footprint)))],
    [MSLENS_KEY, JSON.stringify(parsed.data)],
  ]);
  await writeFileAtomically(path, async (file) => {
    const batches = new BatchSource(indexSchema(dim), tiles, dim, n, rowsPerGroup(dim), signal);
    const bytes = await transformParquetStream(batches.stream, writerProperties(kv, rowsPerGroup(dim)));
    try {
      for await (const chunk of bytes as unknown as AsyncIterable<Uint8Array>) await file.write(chunk);
    } catch (err) {
      throw batches.failure ?? err;
    }
    // The wasm writer treats an errored input stream as its end and finishes a valid but short
    // file, so completeness is checked here, before the rename.
    if (batches.failure) throw batches.failure;
    if (!batches.done) throw new Error('The Parquet writer stopped before all tiles were written.');
  });
}

/** Reads a whole index. Throws INDEX_UNREADABLE for anything that is not an mslens index. */
export async function readIndexFile(path: string, signal?: AbortSignal): Promise<{ meta: IndexMeta; tiles: IndexTiles }> {
  const file = await openIndex(path);
  try {
    const { meta, numRows } = inspect(path, file);
    const dim = meta.embeddingDim;
    const tiles = allocateTiles(numRows, dim);
    let at = 0;
    try {
      const stream = await file.stream({ batchSize: rowsPerGroup(dim), columns: [...COLUMN_NAMES] });
      for await (const wasmBatch of stream as unknown as AsyncIterable<WasmRecordBatch>) {
        throwIfAborted(signal);
        // intoIPCStream copies out of wasm memory, so the arrays below are plain JS memory.
        for (const batch of tableFromIPC(wasmBatch.intoIPCStream()).batches) {
          if (at + batch.numRows > numRows) throw unreadable(path, 'more rows than the footer declares');
          const bad = appendIndexBatch(batch, dim, tiles, at);
          if (bad) throw unreadable(path, bad);
          at += batch.numRows;
        }
      }
    } catch (err) {
      if (err instanceof MslensError) throw err;
      throw unreadable(path, `damaged: ${errorText(err)}`, err);
    }
    if (at !== numRows) throw unreadable(path, `${at} rows where the footer declares ${numRows}`);
    return { meta, tiles };
  } finally {
    file.free();
  }
}

/** Reads only the metadata and schema from the file's footer. */
export async function readIndexMeta(path: string): Promise<IndexMeta> {
  const file = await openIndex(path);
  try {
    return inspect(path, file).meta;
  } finally {
    file.free();
  }
}

function checkTileLengths(tiles: IndexTiles, dim: number): number {
  const n = tiles.tileId.length;
  const lengths: [string, number, number][] = [
    ['sceneId', tiles.sceneId.length, n],
    ...TILE_NUMBER_KEYS.map((key): [string, number, number] => [key, tiles[key].length, n]),
    ['footprint', tiles.footprint.length, n * FOOTPRINT_COORDS],
    ['embeddings', tiles.embeddings.length, n * dim],
  ];
  for (const [key, actual, wanted] of lengths) {
    if (actual !== wanted) throw new Error(`IndexTiles.${key} has ${actual} values, expected ${wanted} (N = ${n}, D = ${dim})`);
  }
  return n;
}

function writerProperties(kv: Map<string, string>, batchRows: number) {
  // Key-value metadata must go through the writer properties: Arrow schema metadata only ends up
  // inside the base64 ARROW:schema entry, which GeoParquet readers do not look at.
  let builder = new WriterPropertiesBuilder()
    .setCompression(Compression.ZSTD)
    .setKeyValueMetadata(kv)
    .setMaxRowGroupSize(batchRows)
    .setDictionaryEnabled(false)
    .setColumnDictionaryEnabled('scene_id', true)
    // Per-column settings only address top-level columns (parquet-wasm turns the name into a
    // one-part path), so the nested embedding.list.element gets the global encoding:
    // BYTE_STREAM_SPLIT, which makes float32 embeddings ~8 % smaller under zstd and is read by Arrow C++
    // (GDAL/QGIS, pyarrow), DuckDB and parquet-wasm. Every other column is set back to PLAIN.
    .setEncoding(Encoding.BYTE_STREAM_SPLIT);
  for (const name of COLUMN_NAMES) {
    if (name !== 'embedding') builder = builder.setColumnEncoding(name, Encoding.PLAIN);
  }
  return builder.build();
}

/** Record batches in wasm memory, built one row group at a time as the writer pulls them. */
class BatchSource {
  readonly stream: ReadableStream<WasmRecordBatch>;
  /** Why the stream stopped early (cancelled, or building a batch threw). */
  failure: unknown;
  /** Every row has been handed to the writer. */
  done = false;

  constructor(schema: Schema, tiles: IndexTiles, dim: number, n: number, batchRows: number, signal?: AbortSignal) {
    let from = 0;
    let sentAny = false;
    this.stream = new ReadableStream<WasmRecordBatch>({
      pull: (controller) => {
        try {
          throwIfAborted(signal);
          // An empty index still needs one (empty) batch, or the writer has no schema.
          if (from >= n && sentAny) {
            this.done = true;
            return controller.close();
          }
          const to = Math.min(n, from + batchRows);
          const ipc = tableToIPC(new ArrowTable([makeIndexBatch(schema, tiles, dim, from, to)]), 'stream');
          const table = WasmTable.fromIPCStream(ipc);
          for (const batch of table.recordBatches()) controller.enqueue(batch);
          table.free();
          from = to;
          sentAny = true;
        } catch (err) {
          this.failure = err;
          controller.error(err);
        }
      },
    });
  }
}

const MAGIC = 'PAR1';

/** Opens a file-backed Blob of `path` as a Parquet file; reads only the magic bytes and footer. */
async function openIndex(path: string): Promise<ParquetFile> {
  let size: number;
  try {
    // A regular file only: a named pipe would block the footer read forever.
    size = (await requireInputFile(path, { what: 'index', code: 'INDEX_UNREADABLE' })).size;
  } catch (err) {
    if (err instanceof MslensError && err.code === 'NOT_FOUND') {
      throw new MslensError('NOT_FOUND', `${basename(path)} does not exist.`, { path }, { cause: err, action: { kind: 'build-index' } });
    }
    if (err instanceof MslensError) throw err;
    throw unreadable(path, errorText(err), err);
  }
  if (size < 12) throw unreadable(path, 'not a Parquet file');
  let blob: Blob;
  let head: string, tail: string;
  try {
    blob = await openAsBlob(path);
    const text = async (from: number, to: number) => Buffer.from(await blob.slice(from, to).arrayBuffer()).toString('latin1');
    head = await text(0, 4);
    tail = await text(blob.size - 4, blob.size);
  } catch (err) {
    throw unreadable(path, errorText(err), err);
  }
  if (head !== MAGIC) throw unreadable(path, 'not a Parquet file');
  if (tail !== MAGIC) throw unreadable(path, 'truncated: no Parquet footer');
  try {
    return await ParquetFile.fromFile(blob);
  } catch (err) {
    throw unreadable(path, `damaged Parquet footer: ${errorText(err)}`, err);
  }
}

/** The index metadata and row count, after checking the schema against it. */
function inspect(path: string, file: ParquetFile): { meta: IndexMeta; numRows: number } {
  let kv: Map<string, string>;
  let numRows: number;
  let schema: Schema;
  try {
    const metadata = file.metadata();
    const fileMetadata = metadata.fileMetadata();
    kv = fileMetadata.keyValueMetadata() as Map<string, string>;
    numRows = fileMetadata.numRows();
    fileMetadata.free();
    metadata.free();
    schema = tableFromIPC(file.schema().intoIPCStream()).schema;
  } catch (err) {
    throw unreadable(path, `damaged Parquet footer: ${errorText(err)}`, err);
  }
  const parsed = parseIndexMeta(kv.get(MSLENS_KEY));
  if (!parsed.ok && parsed.olderVersion !== undefined) {
    throw new MslensError(
      'INDEX_UNREADABLE',
      `${basename(path)} was written by an older mslens (index format ${parsed.olderVersion}, without cloud, shadow and snow fractions). Rebuild the index.`,
      { path, formatVersion: parsed.olderVersion },
      { action: { kind: 'build-index' } },
    );
  }
  if (!parsed.ok && parsed.newerVersion !== undefined) {
    throw new MslensError(
      'INDEX_UNREADABLE',
      `${basename(path)} was written by a newer mslens (index format ${parsed.newerVersion}). Update mslens, or rebuild the index.`,
      { path, formatVersion: parsed.newerVersion },
      { action: { kind: 'build-index' } },
    );
  }
  if (!parsed.ok) throw unreadable(path, parsed.reason);
  const bad = checkIndexSchema(schema, parsed.meta.embeddingDim);
  if (bad) throw unreadable(path, bad);
  return { meta: parsed.meta, numRows };
}

function unreadable(path: string, reason: string, cause?: unknown): MslensError {
  return new MslensError(
    'INDEX_UNREADABLE',
    `${basename(path)} is not an mslens index (${reason}).`,
    { path, reason },
    { action: { kind: 'build-index' }, ...(cause === undefined ? {} : { cause }) },
  );
}

/** parquet-wasm throws strings as often as Errors; keep the first line, capped. */
function errorText(err: unknown): string {
  // A file-backed Blob refuses to read once the file on disk has changed.
  if ((err as Error | undefined)?.name === 'NotReadableError') return 'the file changed or vanished while being read';
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].slice(0, 200);
}
