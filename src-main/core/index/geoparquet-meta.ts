/**
 * The two Parquet key-value metadata entries of an index file: GeoParquet 1.1 `geo`, which makes
 * the file a GeoParquet for QGIS, GeoPandas and DuckDB, and `mslens`, the IndexMeta as JSON.
 */
import { z } from 'zod';
import type { IndexMeta } from './index-store.ts';

export const GEO_KEY = 'geo';
export const MSLENS_KEY = 'mslens';
export const GEOMETRY_COLUMN = 'geometry';
export const INDEX_FORMAT_VERSION = 2;

export interface GeoMetadata {
  version: '1.1.0';
  primary_column: string;
  columns: Record<string, { encoding: 'WKB'; geometry_types: string[]; bbox?: number[] }>;
}

/**
 * GeoParquet 1.1 file metadata for the footprint column. `crs` is deliberately omitted: the spec
 * then defines it as OGC:CRS84, which is WGS 84 (EPSG:4326 datum) with lon/lat axis order, exactly
 * the x = lon, y = lat we store. Writing "EPSG:4326" instead would make strict readers swap axes.
 * `bbox` is omitted for an empty index (the spec makes it optional).
 */
export function makeGeoMetadata(bbox: [number, number, number, number] | undefined): GeoMetadata {
  return {
    version: '1.1.0',
    primary_column: GEOMETRY_COLUMN,
    columns: {
      [GEOMETRY_COLUMN]: { encoding: 'WKB', geometry_types: ['Polygon'], ...(bbox ? { bbox } : {}) },
    },
  };
}

const int = z.number().int();

export const IndexMetaSchema = z.object({
  formatVersion: z.literal(INDEX_FORMAT_VERSION),
  indexId: z.string().min(1),
  sceneId: z.string().min(1),
  scenePath: z.string(),
  sceneKey: z.string().min(1),
  modelId: z.string().min(1),
  modelSha256: z.string(),
  embeddingDim: int.positive(),
  tiling: z.object({ size: int.positive(), stride: int.positive() }),
  sceneCrs: z.object({ epsg: int, proj4: z.string() }),
  sceneSize: z.object({ width: int.nonnegative(), height: int.nonnegative() }),
  date: z.string().optional(),
  mgrsTile: z.string().optional(),
  createdAt: z.string().min(1),
  tilesTotal: int.nonnegative(),
  tilesSkipped: int.nonnegative(),
  tilesSkippedNodata: int.nonnegative(),
  tilesSkippedCloudy: int.nonnegative(),
  masks: z.literal('SCL').nullable(),
  maxCloudFraction: z.number().min(0).max(1),
});

// Fails to compile if the schema and the IndexMeta interface drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesInterface: Same<z.infer<typeof IndexMetaSchema>, IndexMeta> = true;
void schemaMatchesInterface;

export type ParsedMeta =
  | { ok: true; meta: IndexMeta }
  | { ok: false; reason: string; newerVersion?: number; olderVersion?: number };

/** Parses the `mslens` metadata value; never throws. */
export function parseIndexMeta(json: string | undefined): ParsedMeta {
  if (json === undefined) return { ok: false, reason: 'no "mslens" metadata' };
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return { ok: false, reason: '"mslens" metadata is not JSON' };
  }
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > INDEX_FORMAT_VERSION) {
    return { ok: false, reason: `index format ${version}`, newerVersion: version };
  }
  if (typeof version === 'number' && version < INDEX_FORMAT_VERSION) {
    return { ok: false, reason: `index format ${version}`, olderVersion: version };
  }
  const parsed = IndexMetaSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `"mslens" metadata field ${issue?.path.join('.') || '?'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, meta: parsed.data };
}
