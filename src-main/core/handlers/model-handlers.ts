/** Models: the registry, install and import, embeddings, settings and execution providers. */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Handlers, ModelSummary, ModelsList } from '../api.ts';
import { MslensError } from '../errors.ts';
import { openImageEncoder } from '../models/image-encoder.ts';
import { importOpenClipModel } from '../models/import-model.ts';
import { installCatalogueModel } from '../models/install-model.ts';
import { CATALOGUE, catalogueUrl } from '../models/model-catalogue.ts';
import type { InstalledModel } from '../models/manifest.ts';
import { openPreprocessor } from '../models/preprocess.ts';
import { candidateProviders } from '../models/providers.ts';
import { findModel, listModels } from '../models/registry.ts';
import { openScene, resolveSceneLocation } from '../scene/open-scene.ts';
import { readSettings, writeSettings } from '../settings.ts';
import type { HandlerContext } from './handler-context.ts';

/** Images given to `embedImage` are single tiles; a scene is indexed instead. */
const MAX_IMAGE_EDGE = 2048;

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
      let config: Record<string, unknown>;
      try {
        config = JSON.parse(await readFile(resolve(arg.config), 'utf8')) as Record<string, unknown>;
      } catch (err) {
        throw new MslensError('BAD_ARGUMENT', `${basename(arg.config)} could not be read as an open_clip config (${(err as Error).message}). Give the model's open_clip JSON (model_configs/<name>.json or open_clip_config.json).`, { path: arg.config });
      }
      if ((await listModels(c.modelDirs)).some((m) => m.builtIn && m.manifest.id === arg.id)) {
        throw new MslensError('BAD_ARGUMENT', `"${arg.id}" is the id of a built-in model; choose another id.`, { id: arg.id });
      }
      const m = await importOpenClipModel({
        checkpoint: resolve(arg.checkpoint), config, id: arg.id, name: arg.name, modelsDir: c.deps.home.models, signal: ctx.signal,
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

    async embedImage(arg) {
      const model = await modelFor(arg.model);
      const settings = await readSettings(c.deps.home.settings);
      const enc = await openImageEncoder(model, candidateProviders(c.env, settings.provider), { threads: c.deps.threads, precision: settings.precision });
      c.activeProvider = enc.provider;
      const items: { file: string; embedding: number[] }[] = [];
      try {
        for (const file of arg.files) {
          const source = await openScene(resolveSceneLocation(file));
          try {
            const { width, height } = source.info;
            if (Math.max(width, height) > MAX_IMAGE_EDGE || (model.manifest.inputSize === null && width !== height)) {
              throw new MslensError('BAD_ARGUMENT', `${basename(file)} is ${width}×${height} px; embed image takes single tiles up to ${MAX_IMAGE_EDGE} px${model.manifest.inputSize === null ? ', square for this model' : ''}. Index a scene with \`mslens index\` instead.`, { path: file });
            }
            const pre = await openPreprocessor(model.manifest, source.info, height, width);
            try {
              const planes = await source.readWindow({ x: 0, y: 0, width, height }, pre.bands);
              const raw = new Float32Array(planes.length * width * height);
              planes.forEach((p, b) => raw.set(p, b * width * height));
              const { pixels, inputSize } = await pre.run(raw, 1);
              const emb = await enc.embed(pixels, 1, inputSize);
              items.push({ file, embedding: Array.from(emb) });
            } finally {
              await pre.close();
            }
          } finally {
            await source.close();
          }
        }
      } finally {
        await enc.close();
      }
      return { modelId: model.manifest.id, items };
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
