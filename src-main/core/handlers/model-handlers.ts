/** Models: the registry, settings and execution providers. */
import type { ModelSummary } from '../api.ts';
import { candidateProviders, probeProviders } from '../models/providers.ts';
import { listModels } from '../models/registry.ts';
import { readSettings } from '../settings.ts';
import type { Handlers } from '../api.ts';
import type { HandlerContext } from './handler-context.ts';

export function modelHandlers(c: HandlerContext): Pick<Handlers, 'listModels'> {
  return {
    async listModels() {
      const settings = await readSettings(c.deps.home.settings);
      const models = await listModels(c.modelDirs);
      const list: ModelSummary[] = models.map(({ manifest: m, builtIn }) => ({
        id: m.id, name: m.name, kind: m.kind, licence: m.licence.id, builtIn, bands: m.bands,
        embeddingDim: m.embeddingDim, inputSize: m.inputSize, concepts: m.concepts, isDefault: m.id === settings.defaultModel,
      }));
      const candidates = candidateProviders(c.env, settings.provider);
      const probe = await probeProviders(candidates);
      return { models: list, providers: { candidates, active: c.activeProvider ?? probe.provider, fallbacks: probe.fallbacks, preference: settings.provider } };
    },
  };
}
