/**
 * What every group of handlers shares: the data folder, the model registry, loaded indexes and
 * text encoders (kept warm, so re-scoring is fast), and the provider environment.
 */
import { homedir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { IndexSummary, OpContext, OpName } from '../api.ts';
import type { DataHome } from '../data-home.ts';
import { MslensError } from '../errors.ts';
import { IndexCache, type LoadedIndex } from '../index/index-cache.ts';
import { mergeIndexes, type IndexCollection } from '../index/index-collection.ts';
import { imageEncoderHashes, type InstalledModel } from '../models/manifest.ts';
import { detectEnvironment, probeProviders, type ProviderEnvironment, type ProviderName } from '../models/providers.ts';
import { findModel, type ModelDirs } from '../models/registry.ts';
import { openTextEncoder, type TextEncoder } from '../models/text-encoder.ts';

export interface HandlerDeps {
  home: DataHome;
  /** Folder of the models that ship with the app. */
  builtInModels: string;
  /** ONNX Runtime intra-op threads; 0 lets it choose. */
  threads?: number;
  providerEnvironment?: ProviderEnvironment;
  /**
   * How a relative path given to an operation is read: against the working folder (the CLI,
   * where the user chose it), or refused with a hint (the desktop app and web mode, whose
   * working folder the user never chose). @default 'cwd'
   */
  relativePaths?: 'cwd' | 'refuse';
}

export interface HandlerContext {
  deps: HandlerDeps;
  modelDirs: ModelDirs;
  indexes: IndexCache;
  env: ProviderEnvironment;
  /** The provider the last inference session opened on. */
  activeProvider: ProviderName | null;
  progress(ctx: OpContext, op: OpName, message: string, done: number, total: number, extra?: { tilesPerSecond?: number; etaSeconds?: number | null; provider?: ProviderName; skippedNodata?: number; skippedCloudy?: number }): void;
  textEncoderFor(model: InstalledModel): Promise<TextEncoder>;
  /** Which provider sessions open on, probed once per list of candidates. */
  probe(candidates: readonly ProviderName[]): Promise<{ provider: ProviderName; fallbacks: { provider: ProviderName; reason: string }[] }>;
  /** Drops cached sessions of a model that was (re)installed. */
  forgetModel(id: string): void;
  loadIndex(paths: string | string[]): Promise<{ index: IndexCollection; model: InstalledModel }>;
  allScores(index: IndexCollection, scores: Float32Array): { tile: string; score: number }[];
  /** A path the user gave, as an absolute path; URLs as they are. Refuses relative paths where the front's working folder means nothing to its user. */
  userPath(p: string): string;
  summary(path: string, meta: LoadedIndex['meta'], extra: { cached: boolean; provider: ProviderName | null; seconds: number; indexed?: number }): IndexSummary;
}

export function makeHandlerContext(deps: HandlerDeps): HandlerContext {
  const modelDirs = { builtIn: deps.builtInModels, installed: deps.home.models };
  const textEncoders = new Map<string, Promise<TextEncoder>>();
  const probes = new Map<string, ReturnType<typeof probeProviders>>();
  const indexes = new IndexCache();
  return {
    deps,
    modelDirs,
    indexes,
    env: deps.providerEnvironment ?? detectEnvironment(),
    activeProvider: null,
    progress: (ctx, op, message, done, total, extra = {}) => ctx.emit?.('progress', { op, message, done, total, ...extra }),
    textEncoderFor(model) {
      let enc = textEncoders.get(model.manifest.id);
      if (!enc) {
        enc = openTextEncoder(model);
        textEncoders.set(model.manifest.id, enc);
        enc.catch(() => textEncoders.delete(model.manifest.id));
      }
      return enc;
    },
    probe(candidates) {
      const key = candidates.join(',');
      let p = probes.get(key);
      if (!p) {
        p = probeProviders(candidates);
        probes.set(key, p);
        p.catch(() => probes.delete(key));
      }
      return p;
    },
    forgetModel(id) {
      const enc = textEncoders.get(id);
      textEncoders.delete(id);
      void enc?.then((e) => e.close(), () => {});
    },
    async loadIndex(paths) {
      const list = Array.isArray(paths) ? paths : [paths];
      const index = mergeIndexes(await Promise.all(list.map((p) => indexes.load(p))));
      const model = await findModel(modelDirs, index.modelId);
      if (!imageEncoderHashes(model.manifest).includes(index.modelSha256)) {
        throw new MslensError('INDEX_UNREADABLE', `${basename(index.paths[0])} was built with another version of ${model.manifest.name}. Rebuild it with this model.`, { path: index.paths[0] }, { action: { kind: 'build-index', scene: index.metas[0].scenePath, model: model.manifest.id } });
      }
      return { index, model };
    },
    userPath(p) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) || isAbsolute(p)) return p;
      if ((deps.relativePaths ?? 'cwd') === 'cwd') return resolve(p);
      const example = p.startsWith('~') ? join(homedir(), p.replace(/^~[/\\]?/, '')) : join(homedir(), p);
      throw new MslensError('BAD_ARGUMENT', `"${p}" is a relative path, and mslens can't tell which folder it starts from. Give the full path, e.g. ${example}.`, { path: p });
    },
    allScores: (index, scores) =>
      index.tiles.tileId.map((tile, i) => ({ tile: index.metas.length > 1 ? `${index.tiles.sceneId[i]}/${tile}` : tile, score: Math.round(scores[i] * 1e6) / 1e6 })),
    summary: (path, meta, extra) => ({
      path, indexId: meta.indexId, sceneId: meta.sceneId, scenePath: meta.scenePath, modelId: meta.modelId,
      embeddingDim: meta.embeddingDim, tiling: meta.tiling, tilesTotal: meta.tilesTotal,
      tilesIndexed: extra.indexed ?? meta.tilesTotal - meta.tilesSkipped, tilesSkipped: meta.tilesSkipped,
      tilesSkippedNodata: meta.tilesSkippedNodata, tilesSkippedCloudy: meta.tilesSkippedCloudy, maxCloud: meta.maxCloudFraction, masks: meta.masks,
      date: meta.date ?? null, mgrsTile: meta.mgrsTile ?? null, createdAt: meta.createdAt, cached: extra.cached, provider: extra.provider, seconds: Math.round(extra.seconds * 1000) / 1000,
    }),
  };
}
