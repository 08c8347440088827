import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MslensError } from '../../../src-main/core/errors.ts';
import {
  readIndexFile,
  readIndexMeta,
  writeIndexFile,
  type IndexMeta,
  type IndexTiles,
} from '../../../src-main/core/index/index-store.ts';

let dir: string;
let instance: DuckDBInstance;
let duck: DuckDBConnection;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mslens-index-store-'));
  instance = await DuckDBInstance.create(':memory:');
  duck = await instance.connect();
});

afterAll(async () => {
  duck?.closeSync();
  instance?.closeSync();
  await rm(dir, { recursive: true, force: true });
});

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeMeta(dim: number, n: number): IndexMeta {
  return {
    formatVersion: 2,
    indexId: `idx-${dim}-${n}`,
    sceneId: 'S2B_MSIL2A_20240611T101559_T33UUP',
    scenePath: '/data/scenes/T33UUP.tif',
    sceneKey: 'a'.repeat(64),
    modelId: 'ssl4eo-s12-rn50',
    modelSha256: 'b'.repeat(64),
    embeddingDim: dim,
    tiling: { size: 224, stride: 224 },
    sceneCrs: { epsg: 32633, proj4: '+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs' },
    sceneSize: { width: 10980, height: 10980 },
    date: '2024-06-11',
    mgrsTile: '33UUP',
    createdAt: '2024-06-12T08:00:00.000Z',
    tilesTotal: n + 3,
    tilesSkipped: 3,
    tilesSkippedNodata: 1,
    tilesSkippedCloudy: 2,
    masks: 'SCL',
    maxCloudFraction: 0.5,
  };
}

function makeTiles(n: number, dim: number, seed = 1): IndexTiles {
  const rand = rng(seed);
  const cols = 49;
  const t: IndexTiles = {
    tileId: [], sceneId: [],
    row: new Int32Array(n), col: new Int32Array(n), x: new Int32Array(n), y: new Int32Array(n),
    width: new Int32Array(n), height: new Int32Array(n),
    validFraction: new Float32Array(n), cloudFraction: new Float32Array(n), shadowFraction: new Float32Array(n),
    snowFraction: new Float32Array(n), nodataFraction: new Float32Array(n),
    footprint: new Float64Array(n * 10), embeddings: new Float32Array(n * dim),
  };
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / cols), c = i % cols;
    t.tileId.push(`r${String(r).padStart(3, '0')}c${String(c).padStart(3, '0')}`);
    t.sceneId.push('S2B_MSIL2A_20240611T101559_T33UUP');
    t.row[i] = r; t.col[i] = c; t.x[i] = c * 224; t.y[i] = r * 224; t.width[i] = 224; t.height[i] = 224;
    t.validFraction[i] = rand(); t.cloudFraction[i] = rand(); t.shadowFraction[i] = rand(); t.snowFraction[i] = rand();
    // Unknown (no SCL) is NaN, and must survive as NaN, not 0.
    t.nodataFraction[i] = i % 3 === 0 ? Number.NaN : rand();
    // Counter-clockwise: SW, SE, NE, NW, SW.
    const lon = 12 + c * 0.03, lat = 52 - r * 0.02;
    t.footprint.set([lon, lat - 0.02, lon + 0.03, lat - 0.02, lon + 0.03, lat, lon, lat, lon, lat - 0.02], i * 10);
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      const v = rand() - 0.5;
      t.embeddings[i * dim + k] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let k = 0; k < dim; k++) t.embeddings[i * dim + k] /= norm;
  }
  return t;
}

const NUMERIC_KEYS = ['row', 'col', 'x', 'y', 'width', 'height', 'validFraction', 'cloudFraction', 'shadowFraction', 'snowFraction', 'nodataFraction', 'footprint', 'embeddings'] as const;

/** Bitwise equality; vitest's toEqual walks typed arrays element by element, too slow for N × 512. */
function expectSameTiles(actual: IndexTiles, expected: IndexTiles): void {
  expect(actual.tileId).toEqual(expected.tileId);
  expect(actual.sceneId).toEqual(expected.sceneId);
  for (const key of NUMERIC_KEYS) {
    const a = actual[key], e = expected[key];
    expect(a.constructor, key).toBe(e.constructor);
    expect(a.length, key).toBe(e.length);
    expect(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(e.buffer, e.byteOffset, e.byteLength)), key).toBe(0);
  }
}

async function sql(query: string): Promise<Record<string, unknown>[]> {
  return (await duck.runAndReadAll(query)).getRowObjectsJS();
}

/** The INDEX_UNREADABLE error `promise` rejects with. */
async function unreadableError(promise: Promise<unknown>): Promise<MslensError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(MslensError);
  expect((err as MslensError).code).toBe('INDEX_UNREADABLE');
  return err as MslensError;
}

async function expectUnreadable(promise: Promise<unknown>, reason: RegExp): Promise<void> {
  const err = await unreadableError(promise);
  expect(err.message).toMatch(/is not an mslens index \(.+\)\.$/);
  expect(err.message).toMatch(reason);
  expect(err.detail.path).toBeTypeOf('string');
}

async function leftovers(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((name) => name.includes('.tmp-'));
}

describe('round trip', () => {
  test.each([8, 512])('N = 300, D = %i', async (dim) => {
    const file = join(dir, `rt-${dim}.parquet`);
    const meta = makeMeta(dim, 300);
    const tiles = makeTiles(300, dim);
    await writeIndexFile(file, meta, tiles);

    const back = await readIndexFile(file);
    expect(back.meta).toEqual(meta);
    expectSameTiles(back.tiles, tiles);
    expect(Object.keys(back.tiles).sort()).toEqual(Object.keys(tiles).sort());
    expect(await readIndexMeta(file)).toEqual(meta);
    expect(await leftovers(dir)).toEqual([]);
  });

  test('an empty index and non-ASCII ids survive', async () => {
    const empty = join(dir, 'empty.parquet');
    await writeIndexFile(empty, makeMeta(16, 0), makeTiles(0, 16));
    const back = await readIndexFile(empty);
    expect(back.tiles.tileId).toEqual([]);
    expect(back.tiles.embeddings.length).toBe(0);

    const file = join(dir, 'utf8.parquet');
    const tiles = makeTiles(5, 4);
    tiles.sceneId = tiles.sceneId.map((s, i) => `${s}-Zürich-東京-${i}`);
    await writeIndexFile(file, makeMeta(4, 5), tiles);
    expect((await readIndexFile(file)).tiles.sceneId).toEqual(tiles.sceneId);
  });

  test('several row groups, overwriting an existing file', async () => {
    const file = join(dir, 'groups.parquet');
    await writeIndexFile(file, makeMeta(512, 10), makeTiles(10, 512, 7));
    const tiles = makeTiles(20_000, 512, 9); // 3 row groups of ≤ 7168 rows
    await writeIndexFile(file, makeMeta(512, 20_000), tiles);
    const groups = await sql(`SELECT count(DISTINCT row_group_id)::INT AS n FROM parquet_metadata('${file}')`);
    expect(groups[0].n).toBe(3);
    expectSameTiles((await readIndexFile(file)).tiles, tiles);
  });
});

describe('other tools read it as GeoParquet', () => {
  const n = 300, dim = 512;
  let file: string;
  let tiles: IndexTiles;
  let meta: IndexMeta;

  beforeAll(async () => {
    file = join(dir, 'duck.parquet');
    meta = makeMeta(dim, n);
    tiles = makeTiles(n, dim, 3);
    await writeIndexFile(file, meta, tiles);
  });

  test('DuckDB sees the columns, rows and embedding values', async () => {
    const types = Object.fromEntries(
      (await sql(`DESCRIBE SELECT * FROM '${file}'`)).map((r) => [r.column_name, r.column_type]),
    );
    expect(types).toMatchObject({
      tile_id: 'VARCHAR', scene_id: 'VARCHAR', row: 'INTEGER', col: 'INTEGER', x: 'INTEGER', y: 'INTEGER',
      width: 'INTEGER', height: 'INTEGER', valid_fraction: 'FLOAT', cloud_fraction: 'FLOAT',
      shadow_fraction: 'FLOAT', snow_fraction: 'FLOAT', nodata_fraction: 'FLOAT',
    });
    // DuckDB ≥ 1.5 recognises GeoParquet by itself; older versions show the WKB as BLOB.
    expect(types.geometry).toMatch(/^GEOMETRY\('OGC:CRS84'\)$|^BLOB$/);
    expect(['FLOAT[512]', 'FLOAT[]']).toContain(types.embedding);

    expect((await sql(`SELECT count(*)::INT AS n FROM '${file}'`))[0].n).toBe(n);
    const [row5] = await sql(
      `SELECT embedding[1] AS e1, embedding[2] AS e2, len(embedding)::INT AS d, row, col
       FROM '${file}' WHERE tile_id = '${tiles.tileId[5]}'`,
    );
    // DuckDB lists are 1-based.
    expect(row5).toEqual({ e1: tiles.embeddings[5 * dim], e2: tiles.embeddings[5 * dim + 1], d: dim, row: 0, col: 5 });
  });

  test('the geo and mslens key-value metadata are real Parquet file metadata', async () => {
    const kv = Object.fromEntries(
      (await sql(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${file}')`)).map((r) => [r.k, r.v]),
    ) as Record<string, string>;
    const geo = JSON.parse(kv.geo);
    expect(geo).toEqual({
      version: '1.1.0',
      primary_column: 'geometry',
      columns: { geometry: { encoding: 'WKB', geometry_types: ['Polygon'], bbox: expect.any(Array) } },
    });
    const lons = tiles.footprint.filter((_, i) => i % 2 === 0);
    const lats = tiles.footprint.filter((_, i) => i % 2 === 1);
    expect(geo.columns.geometry.bbox).toEqual([Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)]);
    expect(JSON.parse(kv.mslens)).toEqual(meta);
  });

  test('the footprint is a lon/lat WKB Polygon, in the order written', async () => {
    const [r] = await sql(`SELECT ST_AsText(geometry) AS wkt, hex(ST_AsWKB(geometry)) AS h FROM '${file}' WHERE tile_id = '${tiles.tileId[50]}'`);
    const c = Array.from(tiles.footprint.subarray(500, 510));
    expect(r.wkt).toBe(`POLYGON ((${[0, 2, 4, 6, 8].map((k) => `${c[k]} ${c[k + 1]}`).join(', ')}))`);
    const wkb = Buffer.from(r.h as string, 'hex');
    expect([wkb.length, wkb.readUInt8(0), wkb.readUInt32LE(1), wkb.readUInt32LE(5), wkb.readUInt32LE(9)]).toEqual([93, 1, 3, 1, 5]);
    expect(Array.from({ length: 10 }, (_, k) => wkb.readDoubleLE(13 + 8 * k))).toEqual(c);
  });

  test('zstd, with byte-stream-split embeddings', async () => {
    const chunks = await sql(`SELECT path_in_schema AS p, compression AS c, encodings AS e FROM parquet_metadata('${file}')`);
    expect(chunks.every((c) => c.c === 'ZSTD')).toBe(true);
    expect(chunks.find((c) => String(c.p).startsWith('embedding'))?.e).toContain('BYTE_STREAM_SPLIT');
  });
});

describe('files that are not indexes', () => {
  let good: string;
  beforeAll(async () => {
    good = join(dir, 'good.parquet');
    await writeIndexFile(good, makeMeta(8, 50), makeTiles(50, 8));
  });

  test('truncated', async () => {
    const bytes = await readFile(good);
    const file = join(dir, 'truncated.parquet');
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectUnreadable(readIndexFile(file), /truncated/);
    await expectUnreadable(readIndexMeta(file), /truncated/);
  });

  test('random bytes, an empty file and a folder', async () => {
    const file = join(dir, 'random.parquet');
    const rand = rng(5);
    await writeFile(file, Uint8Array.from({ length: 4096 }, () => Math.floor(rand() * 256)));
    await expectUnreadable(readIndexFile(file), /not a Parquet file/);
    const empty = join(dir, 'empty-file.parquet');
    await writeFile(empty, '');
    await expectUnreadable(readIndexMeta(empty), /not a Parquet file/);
    await mkdir(join(dir, 'folder.parquet'));
    expect((await unreadableError(readIndexFile(join(dir, 'folder.parquet')))).message).toBe('folder.parquet is a folder, not a regular file: give the index as a file on disk.');
  });

  test('damaged footer', async () => {
    const bytes = Buffer.from(await readFile(good));
    const len = bytes.readUInt32LE(bytes.length - 8);
    bytes.fill(0xab, bytes.length - 8 - len, bytes.length - 8); // keep the magic, wreck the footer
    const file = join(dir, 'footer.parquet');
    await writeFile(file, bytes);
    await expectUnreadable(readIndexFile(file), /damaged/);
  });

  test('plain Parquet without mslens metadata, or with the wrong column types', async () => {
    const plain = join(dir, 'plain.parquet');
    await duck.run(`COPY (SELECT 1 AS a) TO '${plain}' (FORMAT parquet)`);
    await expectUnreadable(readIndexMeta(plain), /no "mslens" metadata/);

    // Rewritten by DuckDB: same values and metadata, but the embedding becomes a variable-size list.
    const rewritten = join(dir, 'rewritten.parquet');
    const metaJson = JSON.stringify(makeMeta(8, 50)).replaceAll("'", "''");
    await duck.run(`COPY (SELECT * FROM '${good}') TO '${rewritten}' (FORMAT parquet, KV_METADATA {mslens: '${metaJson}'})`);
    await expectUnreadable(readIndexFile(rewritten), /column "embedding" is List.*expected FixedSizeList\[8\]<Float32>/);

    const wrongDim = join(dir, 'wrong-dim.parquet');
    await writeIndexFile(wrongDim, makeMeta(8, 50), makeTiles(50, 8));
    const bytes = await readFile(wrongDim);
    // Same-length edit of the JSON inside the footer: "embeddingDim":8 → 9.
    const patched = Buffer.from(bytes.toString('latin1').replace('"embeddingDim":8', '"embeddingDim":9'), 'latin1');
    await writeFile(wrongDim, patched);
    await expectUnreadable(readIndexFile(wrongDim), /FixedSizeList\[9\]/);
  });

  test('bad, older or newer mslens metadata', async () => {
    const file = join(dir, 'newer.parquet');
    const meta = JSON.stringify({ ...makeMeta(8, 1), formatVersion: 3 }).replaceAll("'", "''");
    await duck.run(`COPY (SELECT 1 AS a) TO '${file}' (FORMAT parquet, KV_METADATA {mslens: '${meta}'})`);
    const err = await readIndexMeta(file).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INDEX_UNREADABLE', message: expect.stringMatching(/newer mslens \(index format 3\)/) });

    // A format-1 index (no shadow/snow/nodata columns) is refused with what to do, not misread.
    const older = join(dir, 'older.parquet');
    const v1 = { ...makeMeta(8, 1), formatVersion: 1 } as Record<string, unknown>;
    for (const k of ['mgrsTile', 'tilesSkippedNodata', 'tilesSkippedCloudy', 'masks', 'maxCloudFraction']) delete v1[k];
    await duck.run(`COPY (SELECT 'r000c000' AS tile_id, 0.5::FLOAT AS cloud_fraction) TO '${older}' (FORMAT parquet, KV_METADATA {mslens: '${JSON.stringify(v1)}'})`);
    const old = await readIndexFile(older).catch((e: unknown) => e);
    expect(old).toMatchObject({ code: 'INDEX_UNREADABLE', detail: { formatVersion: 1 }, message: expect.stringMatching(/older mslens \(index format 1.*Rebuild the index\.$/), action: { kind: 'build-index' } });

    const bad = join(dir, 'bad-meta.parquet');
    await duck.run(`COPY (SELECT 1 AS a) TO '${bad}' (FORMAT parquet, KV_METADATA {mslens: '{"formatVersion":2}'})`);
    await expectUnreadable(readIndexMeta(bad), /"mslens" metadata field indexId/);
  });

  test('a missing file is NOT_FOUND', async () => {
    await expect(readIndexFile(join(dir, 'nope.parquet'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('atomic writes', () => {
  test('a missing target folder fails and creates nothing', async () => {
    const before = await readdir(dir);
    await expect(writeIndexFile(join(dir, 'missing', 'x.parquet'), makeMeta(8, 10), makeTiles(10, 8))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual(before);
  });

  test('a failure after the data is written (rename onto a folder) removes the temporary file', async () => {
    const folder = join(dir, 'atomic-rename');
    await mkdir(join(folder, 'target.parquet', 'child'), { recursive: true });
    await expect(writeIndexFile(join(folder, 'target.parquet'), makeMeta(8, 10), makeTiles(10, 8))).rejects.toThrow();
    expect(await readdir(folder)).toEqual(['target.parquet']);
  });

  test('cancelling midway leaves the previous file untouched and no temporary file', async () => {
    const folder = join(dir, 'atomic-cancel');
    await mkdir(folder);
    const file = join(folder, 'index.parquet');
    const old = makeTiles(10, 512, 11);
    await writeIndexFile(file, makeMeta(512, 10), old);

    // Aborts once the writer has pulled two batches of three.
    let checks = 0;
    const signal = { get aborted() { return ++checks > 3; } } as AbortSignal;
    await expect(writeIndexFile(file, makeMeta(512, 20_000), makeTiles(20_000, 512), signal)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(checks).toBeGreaterThan(3);
    expect(await readdir(folder)).toEqual(['index.parquet']);
    expectSameTiles((await readIndexFile(file)).tiles, old);
  });

  test('mismatched column lengths are a bug, caught before any file is made', async () => {
    const tiles = makeTiles(10, 8);
    tiles.embeddings = new Float32Array(10 * 7);
    await expect(writeIndexFile(join(dir, 'bug.parquet'), makeMeta(8, 10), tiles)).rejects.toThrow(/embeddings has 70 values, expected 80/);
    expect((await readdir(dir)).filter((f) => f.startsWith('bug') || f.startsWith('.bug'))).toEqual([]);
  });
});
