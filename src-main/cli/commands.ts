/**
 * CLI commands: each maps its words and flags onto one api.ts operation and says how to print
 * the result for people. --json prints the operation's result for scripts.
 */
import type { Arg, Hit, IndexSummary, OpName, Result, TileRef } from '../core/api.ts';

export interface Parsed {
  positionals: string[];
  flags: Record<string, string | boolean | undefined>;
}

import { UsageError } from './parse-flags.ts';

export { UsageError };

export interface Command<N extends OpName = OpName> {
  usage: string;
  summary: string;
  flags: Record<string, 'string' | 'boolean'>;
  op: N;
  toArg(p: Parsed): Arg<N>;
  /** Flags whose operation field has another name (field → flag); others are the field in kebab case. */
  flagFor?: Record<string, string>;
  /** Reshapes the result for --json, where the CLI promises a format. */
  json?(r: Result<N>): unknown;
  human(r: Result<N>): string;
}

const num = (v: string | boolean | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} takes a number, not "${String(v)}"`);
  return n;
};
const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: string | boolean | undefined): string[] | undefined =>
  typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
/** One or more INDEX arguments (scenes are indexed first by the CLI). */
const indexArgs = (paths: string[], what = 'INDEX'): string | string[] => {
  if (paths.length === 0) throw new UsageError(`missing ${what}`);
  return paths.length === 1 ? paths[0] : paths;
};
const need = (p: Parsed, i: number, what: string): string => {
  const v = p.positionals[i];
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
};
const fmt = (v: number, d = 3): string => v.toFixed(d);
const bbox = (b: number[]): string => b.map((v) => v.toFixed(5)).join(',');
const pct = (v: number): string => `${Math.round(v * 100)} %`;
const tileCount = (n: number): string => `${n} ${n === 1 ? 'tile' : 'tiles'}`;

/** "skipped 12 (8 cloudy > 50 %, 4 nodata)". */
function skippedText(r: IndexSummary): string {
  const why = [
    ...(r.tilesSkippedCloudy ? [`${r.tilesSkippedCloudy} cloudy > ${pct(r.maxCloud)}`] : []),
    ...(r.tilesSkippedNodata ? [`${r.tilesSkippedNodata} nodata`] : []),
  ];
  return r.tilesSkipped ? `skipped ${r.tilesSkipped} (${why.join(', ')})` : 'none skipped';
}

/** "   1  r003c007  2024-06-12  score 0.310  cloud  12 %  bbox …", the scene named when results span several. */
function hitLine(h: Hit, i: number, scenes: boolean): string {
  const cloud = h.cloudFraction === null ? '–'.padStart(5) : pct(h.cloudFraction).padStart(5);
  return `${String(i + 1).padStart(4)}  ${scenes ? `${h.sceneId}/` : ''}${h.tile}  ${h.date ?? '–'.padEnd(10)}  score ${fmt(h.score)}  cloud ${cloud}  bbox ${bbox(h.bbox)}`;
}
const severalScenes = (tiles: readonly TileRef[]): boolean => new Set(tiles.map((t) => t.sceneId)).size > 1;
/** One line per hit, naming scenes when the hits span several. */
function hitLines(hits: readonly Hit[]): string[] {
  const several = severalScenes(hits);
  return hits.map((h, i) => hitLine(h, i, several));
}

/** "demo (2024-06-12, 33UUP), other (2024-07-02)" for the scenes results come from. */
function sceneList(tiles: readonly TileRef[]): string {
  const scenes = new Map<string, TileRef>();
  for (const t of tiles) if (!scenes.has(t.sceneId)) scenes.set(t.sceneId, t);
  return [...scenes.values()].map((t) => {
    const facts = [t.date, t.mgrsTile].filter(Boolean);
    return facts.length ? `${t.sceneId} (${facts.join(', ')})` : t.sceneId;
  }).join(', ');
}

const define = <N extends OpName>(c: Command<N>): Command<N> => c;

export type AnyCommand = { [N in OpName]: Command<N> }[OpName];

/** One embedding as a line: its first values and its length. */
const embeddingLine = (label: string, e: number[]): string => `${label}: [${e.slice(0, 4).map((v) => v.toFixed(4)).join(', ')}, …] (${e.length} values)`;

export const COMMANDS: Record<string, AnyCommand> = {
  demo: define({
    usage: 'mslens demo [--out DIR] [--size PX] [--seed N]',
    summary: 'write the synthetic Sentinel-2 demo scene and its ground truth',
    flags: { out: 'string', size: 'string', seed: 'string' },
    op: 'makeDemo',
    toArg: (p) => ({ outDir: str(p.flags.out), size: num(p.flags.size, 'size'), seed: num(p.flags.seed, 'seed') }),
    human: (r) => `demo scene: ${r.scenePath}\nground truth: ${r.truthPath}`,
  }),
  info: define({
    usage: 'mslens info SCENE [--tile 224] [--stride 224]',
    summary: 'describe a scene: bands, size, CRS, date, tiles',
    flags: { tile: 'string', stride: 'string' },
    op: 'openScene',
    toArg: (p) => ({ path: need(p, 0, 'SCENE'), tile: num(p.flags.tile, 'tile'), stride: num(p.flags.stride, 'stride') }),
    human: (r) => [
      `${r.sceneId}: ${r.width}×${r.height} px, ${r.bands.length} bands (${r.bands.join(' ')}), ${r.sampleType}`,
      `CRS EPSG:${r.crs.epsg}, bbox ${bbox(r.bbox)}, date ${r.date ?? 'unknown'}, MGRS tile ${r.mgrsTile ?? 'unknown'}, nodata ${r.nodata ?? 'none'}, offset ${r.radiometricOffset}`,
      `${tileCount(r.tiles.count)} of ${r.tiles.size} px (${r.tiles.rows} × ${r.tiles.cols})`,
    ].join('\n'),
  }),
  index: define({
    usage: 'mslens index SCENE [--model ID] [--tile 224] [--stride 224] [--min-valid 0.5] [--max-cloud 0.5] [--out FILE]',
    summary: 'embed every tile of a scene into an index (GeoParquet); cached per scene, model and tiling. Tiles over --max-cloud SCL cloud (default 0.5, or `mslens settings --max-cloud`) are skipped',
    flags: { model: 'string', tile: 'string', stride: 'string', 'min-valid': 'string', 'max-cloud': 'string', out: 'string' },
    op: 'buildIndex',
    toArg: (p) => ({ scene: need(p, 0, 'SCENE'), model: str(p.flags.model), tile: num(p.flags.tile, 'tile'), stride: num(p.flags.stride, 'stride'), minValid: num(p.flags['min-valid'], 'min-valid'), maxCloud: num(p.flags['max-cloud'], 'max-cloud'), out: str(p.flags.out) }),
    human: (r) => [
      `${r.cached ? 'cached index' : 'index'}: ${r.path}`,
      `${tileCount(r.tilesIndexed)} embedded with ${r.modelId}${r.provider ? ` on ${r.provider}` : ''}, ${skippedText(r)}${r.cached ? '' : ` in ${r.seconds.toFixed(1)} s`}`,
      `scene ${r.sceneId}, date ${r.date ?? 'unknown'}, MGRS tile ${r.mgrsTile ?? 'unknown'}, ${r.masks ? 'cloud, shadow and snow fractions from its SCL layer' : 'no SCL layer: cloud fractions unknown, no tile skipped for clouds'}`,
    ].join('\n'),
  }),
  search: define({
    usage: 'mslens search INDEX [INDEX ...] "QUERY" [--top-k 10] [--threshold T] [--geojson FILE]',
    summary: 'rank tiles by a text query',
    flags: { 'top-k': 'string', threshold: 'string', geojson: 'string' },
    op: 'search',
    toArg: (p) => ({ index: indexArgs(p.positionals.length > 1 ? p.positionals.slice(0, -1) : p.positionals), text: p.positionals.length > 1 ? p.positionals[p.positionals.length - 1] : '', topK: num(p.flags['top-k'], 'top-k') ?? 10, threshold: num(p.flags.threshold, 'threshold'), geojson: str(p.flags.geojson) }),
    json: (r) => ({ query: r.query, model: r.modelId, results: r.results, ...(r.geojson ? { geojson: r.geojson } : {}) }),
    human: (r) => [
      `"${r.query}" (${r.modelId}): ${tileCount(r.results.length)}`,
      ...hitLines(r.results),
      ...(r.geojson ? [`GeoJSON: ${r.geojson}`] : []),
    ].join('\n'),
  }),
  classify: define({
    usage: 'mslens classify INDEX [INDEX ...] --classes "water,forest,snow" [--geojson FILE]',
    summary: 'zero-shot label every tile with one of the classes',
    flags: { classes: 'string', geojson: 'string' },
    op: 'classify',
    toArg: (p) => ({ index: indexArgs(p.positionals), classes: list(p.flags.classes) ?? [], geojson: str(p.flags.geojson) }),
    json: (r) => ({ model: r.modelId, classes: r.classes, counts: r.counts, tiles: r.tiles, ...(r.geojson ? { geojson: r.geojson } : {}) }),
    human: (r) => [
      `${tileCount(r.tiles.length)} of ${sceneList(r.tiles)} classified with ${r.modelId}:`,
      ...Object.entries(r.counts).map(([c, n]) => `  ${c.padEnd(24)} ${String(n).padStart(6)}`),
      ...(r.geojson ? [`GeoJSON: ${r.geojson}`] : []),
    ].join('\n'),
  }),
  similar: define({
    usage: 'mslens similar INDEX [INDEX ...] --tile ID [--positive ID,..] [--negative ID,..] [--top-k 10] [--geojson FILE]',
    summary: 'find tiles like one tile, refined by positive and negative examples',
    flags: { tile: 'string', positive: 'string', negative: 'string', 'top-k': 'string', geojson: 'string' },
    op: 'similar',
    toArg: (p) => ({ index: indexArgs(p.positionals), tile: str(p.flags.tile) ?? '', positive: list(p.flags.positive), negative: list(p.flags.negative), topK: num(p.flags['top-k'], 'top-k') ?? 10, geojson: str(p.flags.geojson) }),
    json: (r) => ({ query: r.query, model: r.modelId, results: r.results, ...(r.geojson ? { geojson: r.geojson } : {}) }),
    human: (r) => [
      `${r.query} (${r.modelId}):`,
      ...hitLines(r.results),
      ...(r.geojson ? [`GeoJSON: ${r.geojson}`] : []),
    ].join('\n'),
  }),
  'models install': define({
    usage: 'mslens models install ID [--accept-licence] [--url URL] [--file FILE.pt]',
    summary: 'download a model (resumable, checksummed), convert it to ONNX and install it; shows its licence',
    flags: { 'accept-licence': 'boolean', url: 'string', file: 'string' },
    op: 'installModel',
    toArg: (p) => ({ id: need(p, 0, 'ID'), acceptLicence: p.flags['accept-licence'] === true, url: str(p.flags.url), file: str(p.flags.file) }),
    human: (r) => `installed ${r.id}: ${r.name} (${r.bands.length} bands, embedding ${r.embeddingDim}, licence ${r.licence}). Use it with --model ${r.id}, or \`mslens models use ${r.id}\`.`,
  }),
  'models import': define({
    usage: 'mslens models import FILE.pt --config CONFIG.json --id ID [--name NAME]',
    summary: 'convert a local open_clip ViT checkpoint (MS-CLIP or RGB CLIP) to ONNX and install it',
    flags: { config: 'string', id: 'string', name: 'string' },
    op: 'importModel',
    toArg: (p) => ({ checkpoint: need(p, 0, 'FILE.pt'), config: str(p.flags.config) ?? '', id: str(p.flags.id) ?? '', name: str(p.flags.name) }),
    human: (r) => `imported ${r.id}: ${r.name} (${r.bands.length} bands, embedding ${r.embeddingDim}).`,
  }),
  'models use': define({
    usage: 'mslens models use ID',
    summary: 'make a model the default for index, search and classify',
    flags: {},
    op: 'updateSettings',
    toArg: (p) => ({ defaultModel: need(p, 0, 'ID') }),
    human: (r) => `default model: ${r.models.find((m) => m.isDefault)?.id ?? '?'}`,
  }),
  settings: define({
    usage: 'mslens settings [--model ID] [--provider auto|cpu|cuda|dml|coreml] [--precision auto|fp32] [--max-cloud 0.5]',
    flagFor: { defaultModel: 'model' },
    summary: 'change the default model, the execution provider, the image-encoder precision (fp32 = the exact reference) and the cloud threshold of indexing',
    flags: { model: 'string', provider: 'string', precision: 'string', 'max-cloud': 'string' },
    op: 'updateSettings',
    toArg: (p) => ({ defaultModel: str(p.flags.model), provider: str(p.flags.provider) as never, precision: str(p.flags.precision) as never, maxCloud: num(p.flags['max-cloud'], 'max-cloud') }),
    human: (r) => `default model ${r.models.find((m) => m.isDefault)?.id ?? '?'}, provider ${r.providers.preference} (running: ${r.providers.active ?? '?'}), precision ${r.precision}, max cloud ${pct(r.maxCloud)}`,
  }),
  'embed text': define({
    usage: 'mslens embed text [--model ID] "TEXT" ["TEXT" ...]',
    summary: 'L2-normalised text embeddings (and CLIP token ids)',
    flags: { model: 'string' },
    op: 'embedText',
    toArg: (p) => ({ model: str(p.flags.model), texts: p.positionals }),
    json: (r) => ({ model: r.modelId, items: r.items }),
    human: (r) => r.items.map((it) => embeddingLine(JSON.stringify(it.text), it.embedding)).join('\n'),
  }),
  'embed image': define({
    usage: 'mslens embed image [--model ID] FILE.tif [FILE.tif ...]',
    summary: 'L2-normalised image embeddings of tile-sized GeoTIFFs',
    flags: { model: 'string' },
    op: 'embedImage',
    toArg: (p) => ({ model: str(p.flags.model), files: p.positionals }),
    json: (r) => ({ model: r.modelId, items: r.items }),
    human: (r) => r.items.map((it) => embeddingLine(it.file, it.embedding)).join('\n'),
  }),
  'models list': define({
    usage: 'mslens models list',
    summary: 'list installed models and the execution provider',
    flags: {},
    op: 'listModels',
    toArg: () => ({}),
    human: (r) => [
      ...r.models.map((m) => `${m.isDefault ? '*' : ' '} ${m.id.padEnd(22)} ${m.name} (${m.kind}, ${m.bands.length} bands, dim ${m.embeddingDim}, licence ${m.licence}${m.builtIn ? ', built in' : ''})`),
      `providers: ${r.providers.candidates.join(' → ')}${r.providers.active ? ` (active: ${r.providers.active})` : ''}`,
    ].join('\n'),
  }),
};
