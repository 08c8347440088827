/** Analysis: text search, zero-shot classification and find-similar, with GeoJSON export. */
import { checkClasses, type ClassCheckModel } from '../analysis/class-check.ts';
import { rankTiles, type Ranking } from '../analysis/search.ts';
import { similarQuery } from '../analysis/similar.ts';
import { classifyTiles } from '../analysis/zero-shot.ts';
import { MslensError } from '../errors.ts';
import type { InstalledModel } from '../models/manifest.ts';
import { findModel } from '../models/registry.ts';
import { readSettings } from '../settings.ts';
import { tilesToGeoJson, writeGeoJson } from '../export/geojson.ts';
import { findTile, type IndexCollection } from '../index/index-collection.ts';
import type { Handlers, SearchResult } from '../api.ts';
import type { HandlerContext } from './handler-context.ts';

/** A ranking as search and find-similar return it: hits, optionally every score, optionally GeoJSON of the hits. */
async function rankedResult(c: HandlerContext, index: IndexCollection, modelId: string, query: string, ranking: Ranking, arg: { allScores?: boolean; geojson?: string }): Promise<SearchResult> {
  const { hits, scores } = ranking;
  const result = { query, modelId, results: hits, ...(arg.allScores ? { allScores: c.allScores(index, scores) } : {}) };
  if (!arg.geojson) return result;
  const fc = tilesToGeoJson(index, modelId, hits.map((h, rank) => ({ index: h.index, properties: { query, score: h.score, rank: rank + 1 } })));
  return { ...result, geojson: await writeGeoJson(arg.geojson, fc) };
}

const checkModel = ({ manifest: m }: InstalledModel): ClassCheckModel =>
  ({ id: m.id, name: m.name, promptTemplates: m.promptTemplates, embeddingDim: m.embeddingDim, concepts: m.concepts });

export function analysisHandlers(c: HandlerContext): Pick<Handlers, 'search' | 'classify' | 'checkClasses' | 'similar'> {
  return {
    async search(arg) {
      const { index, model } = await c.loadIndex(arg.index);
      const dim = index.embeddingDim;
      const query = await (await c.textEncoderFor(model)).embed([arg.text]);
      const ranking = await rankTiles(index, dim, query, { topK: arg.topK ?? 20, threshold: arg.threshold });
      return rankedResult(c, index, model.manifest.id, arg.text, ranking, arg);
    },

    async classify(arg) {
      const { index, model } = await c.loadIndex(arg.index);
      const dim = index.embeddingDim;
      const { check, vectors } = await checkClasses(await c.textEncoderFor(model), arg.classes, checkModel(model));
      if (!vectors) {
        throw new MslensError('QUERY_NOT_UNDERSTOOD',
          `${check.notes[0]} Remove ${check.unknown.length > 1 ? 'those classes' : 'that class'}, or classify with the Llama3-MS-CLIP model, which takes any class name.`,
          { classes: check.unknown.join(','), model: model.manifest.id }, { action: { kind: 'install-model', model: 'llama3-ms-clip' } });
      }
      const tiles = await classifyTiles(index, dim, arg.classes, vectors, model.manifest.logitScale);
      const counts: Record<string, number> = Object.fromEntries(arg.classes.map((c) => [c, 0]));
      for (const t of tiles) counts[t.label] = (counts[t.label] ?? 0) + 1;
      const result = { modelId: model.manifest.id, classes: arg.classes, tiles, counts, check };
      if (!arg.geojson) return result;
      const fc = tilesToGeoJson(index, model.manifest.id, tiles.map((t, i) => ({ index: i, properties: { label: t.label, probs: t.probs } })));
      return { ...result, geojson: await writeGeoJson(arg.geojson, fc) };
    },

    async checkClasses(arg) {
      const model = await findModel(c.modelDirs, arg.model ?? (await readSettings(c.deps.home.settings)).defaultModel);
      return (await checkClasses(await c.textEncoderFor(model), arg.classes, checkModel(model))).check;
    },

    async similar(arg) {
      const { index, model } = await c.loadIndex(arg.index);
      const dim = index.embeddingDim;
      const anchor = findTile(index.tiles, arg.tile);
      const pos = [anchor, ...(arg.positive ?? []).map((t) => findTile(index.tiles, t))];
      const neg = (arg.negative ?? []).map((t) => findTile(index.tiles, t));
      const query = similarQuery(index.tiles, dim, pos, neg);
      const exclude = new Set([...pos, ...neg]);
      const ranking = await rankTiles(index, dim, query, { topK: arg.topK ?? 20, exclude });
      return rankedResult(c, index, model.manifest.id, `similar to ${arg.tile}`, ranking, arg);
    },
  };
}
