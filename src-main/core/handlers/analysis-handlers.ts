/** Analysis: text search, zero-shot classification and find-similar, with GeoJSON export. */
import { rankTiles } from '../analysis/search.ts';
import { similarQuery } from '../analysis/similar.ts';
import { classifyTiles, classVectors } from '../analysis/zero-shot.ts';
import { tilesToGeoJson, writeGeoJson } from '../export/geojson.ts';
import { findTile } from '../index/index-collection.ts';
import type { Handlers } from '../api.ts';
import type { HandlerContext } from './handler-context.ts';

export function analysisHandlers(c: HandlerContext): Pick<Handlers, 'search' | 'classify' | 'similar'> {
  return {
    async search(arg) {
      const { index, model } = await c.loadIndex(arg.index);
      const dim = index.embeddingDim;
      const query = await (await c.textEncoderFor(model)).embed([arg.text]);
      const { hits, scores } = await rankTiles(index.tiles, dim, query, { topK: arg.topK ?? 20, threshold: arg.threshold });
      const result = {
        query: arg.text, modelId: model.manifest.id, results: hits,
        ...(arg.allScores ? { allScores: c.allScores(index, scores) } : {}),
      };
      if (!arg.geojson) return result;
      const fc = tilesToGeoJson(index.tiles, model.manifest.id, hits.map((h, rank) => ({ index: h.index, properties: { query: arg.text, score: h.score, rank: rank + 1 } })));
      return { ...result, geojson: await writeGeoJson(arg.geojson, fc) };
    },

    async classify(arg) {
      const { index, model } = await c.loadIndex(arg.index);
      const dim = index.embeddingDim;
      const vectors = await classVectors(await c.textEncoderFor(model), arg.classes, model.manifest.promptTemplates, dim);
      const tiles = await classifyTiles(index.tiles, dim, arg.classes, vectors, model.manifest.logitScale);
      const counts = Object.fromEntries(arg.classes.map((c) => [c, 0]));
      for (const t of tiles) counts[t.label]++;
      const result = { modelId: model.manifest.id, classes: arg.classes, tiles, counts };
      if (!arg.geojson) return result;
      const fc = tilesToGeoJson(index.tiles, model.manifest.id, tiles.map((t, i) => ({ index: i, properties: { label: t.label, probs: t.probs } })));
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
      const { hits, scores } = await rankTiles(index.tiles, dim, query, { topK: arg.topK ?? 20, exclude });
      const label = `similar to ${arg.tile}`;
      const result = {
        query: label, modelId: model.manifest.id, results: hits,
        ...(arg.allScores ? { allScores: c.allScores(index, scores) } : {}),
      };
      if (!arg.geojson) return result;
      const fc = tilesToGeoJson(index.tiles, model.manifest.id, hits.map((h, rank) => ({ index: h.index, properties: { query: label, score: h.score, rank: rank + 1 } })));
      return { ...result, geojson: await writeGeoJson(arg.geojson, fc) };
    },
  };
}
