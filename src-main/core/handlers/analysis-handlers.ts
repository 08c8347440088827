/** Analysis: text search, zero-shot classification and find-similar, with GeoJSON export. */
import { rankTiles, type Ranking } from '../analysis/search.ts';
import { similarQuery } from '../analysis/similar.ts';
import { classifyTiles, classVectors } from '../analysis/zero-shot.ts';
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

export function analysisHandlers(c: HandlerContext): Pick<Handlers, 'search' | 'classify' | 'similar'> {
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
      const vectors = await classVectors(await c.textEncoderFor(model), arg.classes, model.manifest.promptTemplates, dim);
      const tiles = await classifyTiles(index, dim, arg.classes, vectors, model.manifest.logitScale);
      const counts = Object.fromEntries(arg.classes.map((c) => [c, 0]));
      for (const t of tiles) counts[t.label]++;
      const result = { modelId: model.manifest.id, classes: arg.classes, tiles, counts };
      if (!arg.geojson) return result;
      const fc = tilesToGeoJson(index, model.manifest.id, tiles.map((t, i) => ({ index: i, properties: { label: t.label, probs: t.probs } })));
      return { ...result, geojson: await writeGeoJson(arg.geojson, fc) };
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
