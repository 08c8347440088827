/** Models: the registry, install and import, embeddings, settings and execution providers. */
import { basename, resolve } from 'node:path';
import type { Handlers, ModelSummary, ModelsList } from '../api.ts';
import { MslensError } from '../errors.ts';
import { embedImageFiles } from '../index/embed-image-files.ts';
import { readJsonFile } from '../input-files.ts';
import { importOpenClipModel } from '../models/import-model.ts';
import { installCatalogueModel } from '../models/install-model.ts';
import { CATALOGUE, catalogueUrl } from '../models/model-catalogue.ts';
import type { InstalledModel } from '../models/manifest.ts';
import { candidateProviders } from '../models/providers.ts';
import { findModel, listModels } from '../models/registry.ts';
import { readSettings, writeSettings } from '../settings.ts';
import type { HandlerContext } from './handler-context.ts';

function summarise(m: InstalledModel, defaultId: string): ModelSummary {
  const { manifest: x } = m;
  return {
    id: x.id, name: x.name, kind: x.kind, licence: x.licence.id, builtIn: m.builtIn, bands: x.bands,
    embeddingDim: x.embeddingDim, inputSize: x.inputSize, concepts: x.concepts, isDefault: x.id === defaultId,
  };
}

export function modelHandlers(c: HandlerContext): Pick<Handlers, 'listModels' | 'installModel' | 'importModel' | 'embedText' | 'embedImage' | 'updateSettings'> {
  const list = async (): Promise<ModelsList> => {
    const settings = await readSettings(c.deps.home.settings);
    const models = await listModels(c.modelDirs);
    const candidates = candidateProviders(c.env, settings.provider);
    const probe = await c.probe(candidates);
    return {
      models: models.map((m) => summarise(m, settings.defaultModel)),
      catalogue: CATALOGUE.map((e) => ({ id: e.id, name: e.name, licence: e.licence, url: catalogueUrl(e) })),
      providers: { candidates, active: c.activeProvider ?? probe.provider, fallbacks: probe.fallbacks, preference: settings.provider },
      precision: settings.precision,
      maxCloud: settings.maxCloud,
    };
  };
  const modelFor = async (id?: string): Promise<InstalledModel> =>
    findModel(c.modelDirs, id ?? (await readSettings(c.deps.home.settings)).defaultModel);
  const installed = async (m: InstalledModel): Promise<ModelSummary> => {
    c.forgetModel(m.manifest.id);
    return summarise(m, (await readSettings(c.deps.home.settings)).defaultModel);
  };

  return {
    listModels: list,

    async installModel(arg, ctx) {
      const m = await installCatalogueModel({
        id: arg.id, acceptLicence: arg.acceptLicence ?? false, url: arg.url, file: arg.file,
        home: c.deps.home, signal: ctx.signal,
        onProgress: (done, total, message) => c.progress(ctx, 'installModel', message, done, total),
      });
      return installed(m);
    },

    async importModel(arg, ctx) {
      const config = await readJsonFile(resolve(arg.config), 'open_clip model config');
      if (typeof config !== 'object' || config === null || Array.isArray(config)) {
        throw new MslensError('BAD_ARGUMENT', `${basename(arg.config)} is not an open_clip config (not a JSON object). Give the model's open_clip JSON (model_configs/<name>.json or open_clip_config.json).`, { path: arg.config });
      }
      if ((await listModels(c.modelDirs)).some((m) => m.builtIn && m.manifest.id === arg.id)) {
        throw new MslensError('BAD_ARGUMENT', `"${arg.id}" is the id of a built-in model; choose another id.`, { id: arg.id });
      }
      const m = await importOpenClipModel({
        checkpoint: resolve(arg.checkpoint), config: config as Record<string, unknown>, id: arg.id, name: arg.name, modelsDir: c.deps.home.models, signal: ctx.signal,
        onProgress: (done, total, message) => c.progress(ctx, 'importModel', message, done, total),
      });
      return installed(m);
    },

    async embedText(arg) {
      const model = await modelFor(arg.model);
      const enc = await c.textEncoderFor(model);
      const emb = await enc.embed(arg.texts);
      const ids = enc.tokenize?.(arg.texts);
      const dim = model.manifest.embeddingDim;
      const ctxLen = ids ? ids.length / arg.texts.length : 0;
      return {
        modelId: model.manifest.id,
        items: arg.texts.map((text, i) => ({
          text,
          tokens: ids ? Array.from(ids.subarray(i * ctxLen, (i + 1) * ctxLen)) : [],
          embedding: Array.from(emb.subarray(i * dim, (i + 1) * dim)),
        })),
      };
    },

    async embedImage(arg, ctx) {
      const model = await modelFor(arg.model);
      const settings = await readSettings(c.deps.home.settings);
      const r = await embedImageFiles({
        files: arg.files, model, providers: candidateProviders(c.env, settings.provider), threads: c.deps.threads, precision: settings.precision, signal: ctx.signal,
        onProgress: (done, total) => c.progress(ctx, 'embedImage', `Embedding ${total === 1 ? 'the image' : `${total} images`}`, done, total),
      });
      c.activeProvider = r.provider;
      return { modelId: model.manifest.id, items: arg.files.map((file, i) => ({ file, embedding: Array.from(r.embeddings.subarray(i * r.dim, (i + 1) * r.dim)) })) };
    },

    async updateSettings(arg) {
      if (arg.defaultModel) await findModel(c.modelDirs, arg.defaultModel);
      const settings = await readSettings(c.deps.home.settings);
      // Only the settings given change: a key sent as undefined keeps its value.
      const given = Object.fromEntries(Object.entries(arg).filter(([, v]) => v !== undefined));
      await writeSettings(c.deps.home.settings, { ...settings, ...given });
      return list();
    },
  };
}
