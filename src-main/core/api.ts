/**
 * The app's whole contract: one entry per operation, each taking one argument object with a
 * runtime schema, and its result type. Electron IPC, the web server and the CLI are loops over
 * this table. Only the schema library and type-only imports are allowed here, so the renderer
 * can import it.
 */
import { z } from 'zod';
import type { ClassCheck } from './analysis/class-check.ts';
import type { ClassifiedTile } from './analysis/zero-shot.ts';
import type { Hit } from './analysis/search.ts';
import type { TileRef } from './analysis/tile-refs.ts';
import type { ErrorAction, WireError } from './errors.ts';
import type { IndexProgress } from './index/build-index.ts';
import type { ProviderName } from './models/providers.ts';
import type { AppState, RecentItems } from './app/app-state.ts';
import type { SceneStretch } from './app/scene-stretch.ts';
import type { SceneImagery } from './app/scene-preview.ts';
import type { FeatureCollection } from './export/geojson.ts';
import type { JobControl } from './jobs.ts';

export type { ClassCheck, ClassifiedTile, ErrorAction, Hit, TileRef, WireError, IndexProgress, ProviderName };
export type { AppState, RecentItems, SceneStretch, FeatureCollection };
export type { SceneImagery };

const op = <I, O>(input: z.ZodType<I>, kind: 'call' | 'job' = 'call') => ({ input, kind, output: undefined as unknown as O });

const path = z.string().min(1, 'needs a path');
const tileIdSchema = z.string().regex(/^(?:[^/]+\/)?r\d{3,}c\d{3,}$/, 'takes a tile id like r003c007 (SCENE/r003c007 in a collection)');
/** One index file, or several searched as one collection. */
const indexes = z.union([path, z.array(path).min(1).max(1000)]);
const topK = z.number().int('takes a whole number from 1 to 10000').min(1, 'takes a whole number from 1 to 10000').max(10000, 'takes a whole number from 1 to 10000');
const modelId = z.string().min(1, 'needs a non-empty id');
const fraction = z.number().min(0, 'takes a fraction from 0 to 1').max(1, 'takes a fraction from 0 to 1');
const geojson = path.optional();

export interface ModelSummary {
  id: string;
  name: string;
  kind: 'spectral' | 'clip';
  licence: string;
  builtIn: boolean;
  bands: string[];
  embeddingDim: number;
  inputSize: number | null;
  concepts?: string[];
  isDefault: boolean;
}

export interface ModelsList {
  models: ModelSummary[];
  /** Models that `installModel` can download, with the licence to accept first and the file's URL. */
  catalogue: { id: string; name: string; licence: LicenceNotice; url: string }[];
  /** Providers that will be tried, best first, and the one a session last opened on. */
  providers: { candidates: ProviderName[]; active: ProviderName | null; fallbacks: { provider: ProviderName; reason: string }[]; preference: string };
  /** 'auto': checked int8 on CPU, fp16 on GPU; 'fp32': always the float32 reference. */
  precision: 'auto' | 'fp32';
  /** Indexing skips tiles with a larger SCL cloud fraction unless told otherwise. */
  maxCloud: number;
}

export interface SceneSummary {
  path: string;
  sceneId: string;
  width: number;
  height: number;
  bands: string[];
  sampleType: string;
  nodata: number | null;
  crs: { epsg: number; proj4: string };
  /** GDAL order. */
  transform: number[];
  /** [west, south, east, north] in degrees. */
  bbox: [number, number, number, number];
  date: string | null;
  /** MGRS tile id (e.g. "33UUP") from the scene's metadata or names. */
  mgrsTile: string | null;
  radiometricOffset: number;
  tiles: { size: number; rows: number; cols: number; count: number };
}

export interface IndexSummary {
  path: string;
  indexId: string;
  sceneId: string;
  scenePath: string;
  modelId: string;
  embeddingDim: number;
  tiling: { size: number; stride: number };
  tilesTotal: number;
  tilesIndexed: number;
  /** tilesSkippedNodata + tilesSkippedCloudy. */
  tilesSkipped: number;
  tilesSkippedNodata: number;
  /** Tiles whose SCL cloud fraction was above maxCloud; 0 without SCL. */
  tilesSkippedCloudy: number;
  maxCloud: number;
  /** 'SCL' when tiles carry cloud, shadow, snow and nodata fractions from the scene's SCL layer. */
  masks: 'SCL' | null;
  date: string | null;
  /** MGRS tile id of the scene, e.g. "33UUP". */
  mgrsTile: string | null;
  createdAt: string;
  /** True when the index came from the cache and no inference ran. */
  cached: boolean;
  provider: ProviderName | null;
  seconds: number;
}

export interface SearchResult {
  query: string;
  modelId: string;
  results: Hit[];
  /** Every indexed tile's score, in index order, when asked for (heat layers). */
  allScores?: { tile: string; score: number }[];
  geojson?: string;
}

export interface ClassifyResult {
  modelId: string;
  classes: string[];
  /** Each tile's label: one of the classes, or "uncertain" where the classes don't separate it. */
  tiles: ClassifiedTile[];
  /** Tiles per label, "uncertain" included when there are such tiles. */
  counts: Record<string, number>;
  /** What the model can't do with these classes (see checkClasses). */
  check: ClassCheck;
  geojson?: string;
}

export interface DemoResult {
  scenePath: string;
  truthPath: string;
  size: number;
  legend: { code: number; name: string }[];
}

// — models —
export interface EmbedTextResult {
  modelId: string;
  items: { text: string; tokens: number[]; embedding: number[] }[];
}
export interface EmbedImageResult {
  modelId: string;
  items: { file: string; embedding: number[] }[];
}
export interface LicenceNotice {
  id: string;
  url: string;
  summary: string;
}

// — app —
const exportValue = z.union([z.string().max(2000), z.number(), z.boolean(), z.null(), z.record(z.string().max(200), z.number())]);
export interface ExportFeature {
  tile: string;
  properties: Record<string, string | number | boolean | null | Record<string, number>>;
}
export interface ExportResult {
  count: number;
  /** The file written, when `out` was given. */
  path: string | null;
  /** The collection itself, when no `out` was given. */
  featureCollection: FeatureCollection | null;
}
export interface FileChoice {
  /** False where the front has no file dialog (web mode): ask for a path instead. */
  supported: boolean;
  /** Null when the user cancelled. */
  path: string | null;
}

export const api = {
  listModels: op<Record<string, never>, ModelsList>(z.object({}).strict() as z.ZodType<Record<string, never>>),
  makeDemo: op<{ outDir?: string; size?: number; seed?: number }, DemoResult>(
    z.object({ outDir: path.optional(), size: z.number().int().min(224).max(10980).optional(), seed: z.number().int().min(0).optional() }).strict(), 'job'),
  openScene: op<{ path: string; tile?: number; stride?: number }, SceneSummary>(
    z.object({ path, tile: z.number().int().optional(), stride: z.number().int().optional() }).strict()),
  /** `maxCloud`: tiles with a larger SCL cloud fraction are skipped (default from the settings, 0.5). */
  buildIndex: op<{ scene: string; model?: string; tile?: number; stride?: number; minValid?: number; maxCloud?: number; out?: string }, IndexSummary>(
    z.object({ scene: path, model: modelId.optional(), tile: z.number().int().optional(), stride: z.number().int().optional(), minValid: fraction.optional(), maxCloud: fraction.optional(), out: path.optional() }).strict(), 'job'),
  openIndex: op<{ index: string }, IndexSummary & { tiles: TileRef[] }>(z.object({ index: path }).strict()),
  search: op<{ index: string | string[]; text: string; topK?: number; threshold?: number; allScores?: boolean; geojson?: string }, SearchResult>(
    z.object({ index: indexes, text: z.string().trim().min(1, 'the query is empty: type what to look for, e.g. "water"'), topK: topK.optional(), threshold: z.number().min(-1, 'takes a score from -1 to 1').max(1, 'takes a score from -1 to 1').optional(), allScores: z.boolean().optional(), geojson }).strict()),
  classify: op<{ index: string | string[]; classes: string[]; geojson?: string }, ClassifyResult>(
    z.object({ index: indexes, classes: z.array(z.string().trim().min(1, 'has an empty class name')).min(2, 'takes at least two classes').max(100), geojson }).strict()),
  /** What a model can't do with a class list (unknown classes, classes it can't tell apart), before classifying. */
  checkClasses: op<{ model?: string; classes: string[] }, ClassCheck>(
    z.object({ model: modelId.optional(), classes: z.array(z.string().trim().min(1, 'has an empty class name')).min(1, 'give at least one class').max(100) }).strict()),
  similar: op<{ index: string | string[]; tile: string; positive?: string[]; negative?: string[]; topK?: number; allScores?: boolean; geojson?: string }, SearchResult>(
    z.object({ index: indexes, tile: tileIdSchema, positive: z.array(tileIdSchema).optional(), negative: z.array(tileIdSchema).optional(), topK: topK.optional(), allScores: z.boolean().optional(), geojson }).strict()),
  // — models —
  /** Downloads a catalogue model (progress, resume, checksum), converts it and installs it. Needs the licence accepted. */
  installModel: op<{ id: string; acceptLicence?: boolean; url?: string; file?: string }, ModelSummary>(
    z.object({ id: modelId, acceptLicence: z.boolean().optional(), url: z.string().url().optional(), file: path.optional() }).strict(), 'job'),
  /** Converts a local open_clip checkpoint + config into an installed model. */
  importModel: op<{ checkpoint: string; config: string; id: string; name?: string }, ModelSummary>(
    z.object({ checkpoint: path, config: path, id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'model ids are lower-case letters, digits, ".", "_" and "-"'), name: z.string().min(1).max(200).optional() }).strict(), 'job'),
  embedText: op<{ model?: string; texts: string[] }, EmbedTextResult>(
    z.object({ model: modelId.optional(), texts: z.array(z.string().max(10_000)).min(1, 'give at least one text').max(10_000) }).strict()),
  embedImage: op<{ model?: string; files: string[] }, EmbedImageResult>(
    z.object({ model: modelId.optional(), files: z.array(path).min(1, 'give at least one image file').max(10_000) }).strict()),
  /** The default model, the execution-provider preference, the image-encoder precision and the default cloud threshold. */
  updateSettings: op<{ defaultModel?: string; provider?: 'auto' | 'cuda' | 'dml' | 'coreml' | 'cpu'; precision?: 'auto' | 'fp32'; maxCloud?: number }, ModelsList>(
    z.object({ defaultModel: modelId.optional(), provider: z.enum(['auto', 'cuda', 'dml', 'coreml', 'cpu']).optional(), precision: z.enum(['auto', 'fp32']).optional(), maxCloud: fraction.optional() }).strict()
      .refine((s) => Object.keys(s).length > 0, 'name a setting to change: defaultModel, provider, precision or maxCloud')),
  // — app —
  /** Stops a running job (see core/jobs.ts): every call runs under the job id its caller gave. */
  cancelJob: op<{ jobId: string }, { cancelled: boolean }>(z.object({ jobId: z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, 'a job id is 6 to 64 letters, digits, "-" or "_"') }).strict()),
  /** What the app remembers (recent scenes, queries, class lists) and where the demo scene is. */
  appState: op<Record<string, never>, AppState>(z.object({}).strict() as z.ZodType<Record<string, never>>),
  saveAppState: op<{ recent: Partial<RecentItems> }, AppState>(
    z.object({ recent: z.object({ scenes: z.array(path).max(12), queries: z.array(z.string().min(1).max(500)).max(24), classLists: z.array(z.array(z.string().min(1).max(200)).min(2).max(100)).max(12), indexes: z.array(z.object({ scene: path, index: path }).strict()).max(12) }).partial().strict() }).strict()),
  /** The default true-colour stretch of a scene (B04/B03/B02). */
  sceneStretch: op<{ path: string }, SceneStretch>(z.object({ path }).strict()),
  /**
   * What the map reads for a scene: the file itself when it is a GeoTIFF with overviews, else a
   * true-colour preview COG, built in a worker (progress, cancel) and cached in the data folder.
   */
  sceneImagery: op<{ path: string }, SceneImagery>(z.object({ path }).strict(), 'job'),
  /** Tiles with properties as GeoJSON (RFC 7946): written to `out`, or returned for a download. */
  exportGeoJson: op<{ index: string | string[]; features: ExportFeature[]; out?: string }, ExportResult>(
    z.object({ index: indexes, features: z.array(z.object({ tile: tileIdSchema, properties: z.record(z.string().max(64), exportValue) }).strict()).max(100_000), out: path.optional() }).strict()),
  /** A native file dialog, where the front has one (the desktop app); web mode says it has none. */
  chooseFile: op<{ purpose: 'scene' | 'index' | 'export' | 'checkpoint' | 'config'; defaultName?: string }, FileChoice>(
    z.object({ purpose: z.enum(['scene', 'index', 'export', 'checkpoint', 'config']), defaultName: z.string().max(255).regex(/^[^/\\]*$/, 'a file name, not a path').optional() }).strict()),
} as const;

export type Api = typeof api;
export type OpName = keyof Api;
export type Arg<N extends OpName> = z.infer<Api[N]['input']>;
export type Result<N extends OpName> = Api[N]['output'];

/** Job progress events, declared next to the operations that emit them. */
export interface Events {
  progress: { op: OpName; message: string; done: number; total: number; tilesPerSecond?: number; etaSeconds?: number | null; provider?: ProviderName; skippedNodata?: number; skippedCloudy?: number; jobId?: string };
}
export type EventName = keyof Events;
// — app —
/** Events the fronts add to core's: a desktop menu item, for the renderer to carry out. */
export interface FrontEvents extends Events {
  menu: { action: 'openScene' | 'openIndex' | 'export' | 'models'; path?: string };
}
export type FrontEventName = keyof FrontEvents;

export interface OpContext {
  signal?: AbortSignal;
  emit?: <E extends EventName>(name: E, payload: Events[E]) => void;
  /** The front's running jobs, for `cancelJob`. */
  jobs?: JobControl;
}

export type Handlers = { [N in OpName]: (arg: Arg<N>, ctx: OpContext) => Promise<Result<N>> };

export type Reply<T> = { ok: true; value: T } | { ok: false; error: WireError };
