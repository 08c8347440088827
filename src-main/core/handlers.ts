/**
 * The implementation of every operation in api.ts, over core modules. The fronts reach these
 * only through dispatch().
 */
import { basename, join, resolve } from 'node:path';
import proj4 from 'proj4';
import { classifyTiles, classVectors } from './analysis/zero-shot.ts';
import { rankTiles } from './analysis/search.ts';
import { similarQuery } from './analysis/similar.ts';
import { tileRef } from './analysis/tile-refs.ts';
import type { Handlers, IndexSummary, ModelSummary, OpContext } from './api.ts';
import type { DataHome } from './data-home.ts';
import { MslensError } from './errors.ts';
import { tilesToGeoJson, writeGeoJson } from './export/geojson.ts';
import { buildIndex, sceneIdOf } from './index/build-index.ts';
import { IndexCache, type LoadedIndex } from './index/index-cache.ts';
import { findTile, mergeIndexes, type IndexCollection } from './index/index-collection.ts';
import type { InstalledModel } from './models/manifest.ts';
import { candidateProviders, detectEnvironment, type ProviderEnvironment, type ProviderName } from './models/providers.ts';
import { findModel, listModels } from './models/registry.ts';
import { openTextEncoder, type TextEncoder } from './models/text-encoder.ts';
import { writeDemoScene } from './scene/demo/demo-scene.ts';
import { openScene } from './scene/open-scene.ts';
import { readSettings } from './settings.ts';
import { makeTileGrid } from './tiles/tile-grid.ts';

const PHASE_MESSAGES = { starting: 'Starting', embedding: 'Embedding tiles', writing: 'Writing the index', cached: 'Index found in the cache' } as const;

export interface HandlerDeps {
  home: DataHome;
  /** Folder of the models that ship with the app. */
  builtInModels: string;
  /** ONNX Runtime intra-op threads; 0 lets it choose. */
  threads?: number;
  providerEnvironment?: ProviderEnvironment;
}

export function createHandlers(deps: HandlerDeps): Handlers {
  const modelDirs = { builtIn: deps.builtInModels, installed: deps.home.models };
  const indexes = new IndexCache();
  const textEncoders = new Map<string, Promise<TextEncoder>>();
  const env = deps.providerEnvironment ?? detectEnvironment();
  let activeProvider: ProviderName | null = null;

  const progress = (ctx: OpContext, op: 'buildIndex' | 'makeDemo', message: string, done: number, total: number, extra: { tilesPerSecond?: number; etaSeconds?: number | null; provider?: ProviderName } = {}): void =>
    ctx.emit?.('progress', { op, message, done, total, ...extra });

  const textEncoderFor = (model: InstalledModel): Promise<TextEncoder> => {
    let enc = textEncoders.get(model.manifest.id);
    if (!enc) {
      enc = openTextEncoder(model);
      textEncoders.set(model.manifest.id, enc);
      enc.catch(() => textEncoders.delete(model.manifest.id));
    }
    return enc;
  };

  const loadIndex = async (paths: string | string[]): Promise<{ index: IndexCollection; model: InstalledModel }> => {
    const list = Array.isArray(paths) ? paths : [paths];
    const index = mergeIndexes(await Promise.all(list.map((p) => indexes.load(p))));
    const model = await findModel(modelDirs, index.modelId);
    if (model.manifest.imageEncoder.sha256 !== index.modelSha256) {
      throw new MslensError('INDEX_UNREADABLE', `${basename(index.paths[0])} was built with another version of ${model.manifest.name}. Rebuild it with \`mslens index ${index.metas[0].scenePath} --model ${model.manifest.id}\`.`, { path: index.paths[0] });
    }
    return { index, model };
  };

  const allScores = (index: IndexCollection, scores: Float32Array): { tile: string; score: number }[] =>
    index.tiles.tileId.map((tile, i) => ({ tile: index.metas.length > 1 ? `${index.tiles.sceneId[i]}/${tile}` : tile, score: Math.round(scores[i] * 1e6) / 1e6 }));

  const summary = (path: string, meta: LoadedIndex['meta'], extra: { cached: boolean; provider: ProviderName | null; seconds: number; indexed?: number }): IndexSummary => ({
    path, indexId: meta.indexId, sceneId: meta.sceneId, scenePath: meta.scenePath, modelId: meta.modelId,
    embeddingDim: meta.embeddingDim, tiling: meta.tiling, tilesTotal: meta.tilesTotal,
    tilesIndexed: extra.indexed ?? meta.tilesTotal - meta.tilesSkipped, tilesSkipped: meta.tilesSkipped,
    date: meta.date ?? null, createdAt: meta.createdAt, cached: extra.cached, provider: extra.provider, seconds: Math.round(extra.seconds * 1000) / 1000,
  });

  return {
    async listModels() {
      const settings = await readSettings(deps.home.settings);
      const models = await listModels(modelDirs);
      const list: ModelSummary[] = models.map(({ manifest: m, builtIn }) => ({
        id: m.id, name: m.name, kind: m.kind, licence: m.licence.id, builtIn, bands: m.bands,
        embeddingDim: m.embeddingDim, inputSize: m.inputSize, concepts: m.concepts, isDefault: m.id === settings.defaultModel,
      }));
      return { models: list, providers: { candidates: candidateProviders(env, settings.provider), active: activeProvider, preference: settings.provider } };
    },

    async makeDemo(arg, ctx) {
      const size = arg.size ?? 2240;
      const outDir = resolve(arg.outDir ?? join(deps.home.root, 'demo'));
      const res = await writeDemoScene({
        outDir, size, seed: arg.seed, signal: ctx.signal,
        onProgress: (done, total) => progress(ctx, 'makeDemo', 'Writing the demo scene', done, total),
      });
      return { scenePath: res.scenePath, truthPath: res.truthPath, size, legend: res.legend };
    },

    async openScene(arg, ctx) {
      const source = await openScene(resolve(arg.path), ctx.signal);
      try {
        const i = source.info;
        const grid = makeTileGrid(i, { size: arg.tile, stride: arg.stride });
        const toLonLat = proj4(i.crs.proj4, 'EPSG:4326').forward;
        const t = i.transform;
        const corners = [[0, 0], [i.width, 0], [0, i.height], [i.width, i.height]].map(([px, py]) => toLonLat([t[0] + px * t[1] + py * t[2], t[3] + px * t[4] + py * t[5]]));
        const lons = corners.map((c) => c[0]);
        const lats = corners.map((c) => c[1]);
        return {
          path: resolve(arg.path), sceneId: sceneIdOf(arg.path), width: i.width, height: i.height, bands: [...i.bands],
          sampleType: i.sampleType, nodata: i.nodata, crs: i.crs, transform: [...t],
          bbox: [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)],
          date: i.date ?? null, radiometricOffset: i.radiometricOffset,
          tiles: { size: grid.size, rows: grid.rows, cols: grid.cols, count: grid.count },
        };
      } finally {
        await source.close();
      }
    },

    async buildIndex(arg, ctx) {
      const settings = await readSettings(deps.home.settings);
      const model = await findModel(modelDirs, arg.model ?? settings.defaultModel);
      const built = await buildIndex({
        scenePath: arg.scene, model, providers: candidateProviders(env, settings.provider), cacheDir: deps.home.indexes,
        size: arg.tile, stride: arg.stride, minValidFraction: arg.minValid, out: arg.out, threads: deps.threads, signal: ctx.signal,
        onProgress: (p) => progress(ctx, 'buildIndex', PHASE_MESSAGES[p.phase], p.done, p.total, { tilesPerSecond: p.tilesPerSecond, etaSeconds: p.etaSeconds, provider: p.provider }),
      });
      if (built.provider) activeProvider = built.provider;
      return summary(built.path, built.meta, { cached: built.cached, provider: built.provider ?? null, seconds: built.seconds });
    },

    async openIndex(arg) {
      const index = await indexes.load(arg.index);
      const n = index.tiles.tileId.length;
      return { ...summary(index.path, index.meta, { cached: true, provider: null, seconds: 0, indexed: n }), tiles: Array.from({ length: n }, (_, i) => tileRef(index.tiles, i)) };
    },

    async search(arg) {
      const { index, model } = await loadIndex(arg.index);
      const dim = index.embeddingDim;
      const query = await (await textEncoderFor(model)).embed([arg.text]);
      const { hits, scores } = await rankTiles(index.tiles, dim, query, { topK: arg.topK ?? 20, threshold: arg.threshold });
      const result = {
        query: arg.text, modelId: model.manifest.id, results: hits,
        ...(arg.allScores ? { allScores: allScores(index, scores) } : {}),
      };
      if (!arg.geojson) return result;
      const fc = tilesToGeoJson(index.tiles, model.manifest.id, hits.map((h, rank) => ({ index: h.index, properties: { query: arg.text, score: h.score, rank: rank + 1 } })));
      return { ...result, geojson: await writeGeoJson(arg.geojson, fc) };
    },

    async classify(arg) {
      const { index, model } = await loadIndex(arg.index);
      const dim = index.embeddingDim;
      const vectors = await classVectors(await textEncoderFor(model), arg.classes, model.manifest.promptTemplates, dim);
      const tiles = await classifyTiles(index.tiles, dim, arg.classes, vectors, model.manifest.logitScale);
      const counts = Object.fromEntries(arg.classes.map((c) => [c, 0]));
      for (const t of tiles) counts[t.label]++;
      const result = { modelId: model.manifest.id, classes: arg.classes, tiles, counts };
      if (!arg.geojson) return result;
      const fc = tilesToGeoJson(index.tiles, model.manifest.id, tiles.map((t, i) => ({ index: i, properties: { label: t.label, probs: t.probs } })));
      return { ...result, geojson: await writeGeoJson(arg.geojson, fc) };
    },

    async similar(arg) {
      const { index, model } = await loadIndex(arg.index);
      const dim = index.embeddingDim;
      const anchor = findTile(index.tiles, arg.tile);
      const pos = [anchor, ...(arg.positive ?? []).map((t) => findTile(index.tiles, t))];
      const neg = (arg.negative ?? []).map((t) => findTile(index.tiles, t));
      const query = similarQuery(index.tiles, dim, pos, neg);
      const exclude = new Set([...pos, ...neg]);
      const { hits, scores } = await rankTiles(index.tiles, dim, query, { topK: arg.topK ?? 20, exclude });
      const label = `similar to ${arg.tile}`;
      const result = {
        query: label, modelId: model.manifest.id, results: hits,
        ...(arg.allScores ? { allScores: allScores(index, scores) } : {}),
      };
      if (!arg.geojson) return result;
      const fc = tilesToGeoJson(index.tiles, model.manifest.id, hits.map((h, rank) => ({ index: h.index, properties: { query: label, score: h.score, rank: rank + 1 } })));
      return { ...result, geojson: await writeGeoJson(arg.geojson, fc) };
    },
  };
}
