/** Indexes: building (in a worker, cached) and opening. */
import { tileRef } from '../analysis/tile-refs.ts';
import { buildIndex } from '../index/build-index.ts';
import { mergeIndexes } from '../index/index-collection.ts';
import { candidateProviders } from '../models/providers.ts';
import { findModel } from '../models/registry.ts';
import { readSettings } from '../settings.ts';

const PHASE_MESSAGES = { starting: 'Starting', embedding: 'Embedding tiles', writing: 'Writing the index', cached: 'Index found in the cache' } as const;
import type { Handlers } from '../api.ts';
import type { HandlerContext } from './handler-context.ts';

export function indexHandlers(c: HandlerContext): Pick<Handlers, 'buildIndex' | 'openIndex'> {
  return {
    async buildIndex(arg, ctx) {
      const settings = await readSettings(c.deps.home.settings);
      const model = await findModel(c.modelDirs, arg.model ?? settings.defaultModel);
      const built = await buildIndex({
        scenePath: c.userPath(arg.scene), model, providers: candidateProviders(c.env, settings.provider), cacheDir: c.deps.home.indexes,
        size: arg.tile, stride: arg.stride, minValidFraction: arg.minValid, maxCloudFraction: arg.maxCloud ?? settings.maxCloud, out: arg.out === undefined ? undefined : c.userPath(arg.out), threads: c.deps.threads, precision: settings.precision, signal: ctx.signal,
        onProgress: (p) => c.progress(ctx, 'buildIndex', PHASE_MESSAGES[p.phase], p.done, p.total, { tilesPerSecond: p.tilesPerSecond, etaSeconds: p.etaSeconds, provider: p.provider, skippedNodata: p.skippedNodata, skippedCloudy: p.skippedCloudy }),
      });
      if (built.provider) c.activeProvider = built.provider;
      return c.summary(built.path, built.meta, { cached: built.cached, provider: built.provider ?? null, seconds: built.seconds });
    },

    async openIndex(arg) {
      const index = await c.indexes.load(c.userPath(arg.index));
      const n = index.tiles.tileId.length;
      const table = mergeIndexes([index]);
      return { ...c.summary(index.path, index.meta, { cached: true, provider: null, seconds: 0, indexed: n }), tiles: Array.from({ length: n }, (_, i) => tileRef(table, i)) };
    },
  };
}
