/**
 * Export of what the map shows as GeoJSON: search or similar hits above the threshold (with
 * score and rank), or every tile's label and probabilities. The desktop asks where to save it;
 * web mode downloads it.
 */
import type { ExportFeature } from '$api';
import { messageOf } from '../lib/api-client';
import { count } from '../lib/format';
import type { ClassifyState } from './classify.svelte';
import type { SearchState } from './search.svelte';
import type { Session } from './session.svelte';
import type { SimilarState } from './similar.svelte';

export interface ExportSources {
  session: Session;
  search: SearchState;
  classify: ClassifyState;
  similar: SimilarState;
}

const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'results';

export function exportFeatures({ session, search, classify, similar }: ExportSources): { name: string; features: ExportFeature[] } | null {
  const scene = session.scene?.sceneId ?? 'scene';
  if (session.mode === 'classify' && classify.result) {
    const features = classify.result.tiles
      .filter((t) => Math.max(...Object.values(t.probs)) >= classify.minProb)
      .map((t) => ({ tile: t.tile, properties: { label: t.label, confidence: Math.max(...Object.values(t.probs)), probs: t.probs } }));
    return { name: `mslens-${scene}-classes.geojson`, features };
  }
  const state = session.mode === 'similar' ? similar : search;
  const r = state.result;
  if (!r) return null;
  const features: ExportFeature[] = state.hits.map((h, i) => ({ tile: h.tile, properties: { query: r.query, score: h.score, rank: i + 1 } }));
  if (session.mode === 'similar') {
    for (const t of similar.positives) features.push({ tile: t, properties: { query: r.query, example: 'positive' } });
    for (const t of similar.negatives) features.push({ tile: t, properties: { query: r.query, example: 'negative' } });
  }
  return { name: `mslens-${scene}-${slug(r.query)}.geojson`, features };
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/geo+json' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function exportResults(src: ExportSources): Promise<void> {
  const { session } = src;
  session.setError('export', null);
  const what = exportFeatures(src);
  const index = session.index;
  if (!what || !index) {
    session.errors = { ...session.errors, export: 'Nothing to export yet: run a search, a classification or find similar first.' };
    return;
  }
  try {
    if (session.api.kind === 'desktop') {
      const choice = await session.api.call('chooseFile', { purpose: 'export', defaultName: what.name });
      if (!choice.path) return;
      const r = await session.api.call('exportGeoJson', { index: index.path, features: what.features, out: choice.path });
      session.notify(`Exported ${count(r.count, 'tile')} to ${r.path}`);
    } else {
      const r = await session.api.call('exportGeoJson', { index: index.path, features: what.features });
      download(what.name, `${JSON.stringify(r.featureCollection)}\n`);
      session.notify(`Exported ${count(r.count, 'tile')} as ${what.name}`);
    }
  } catch (err) {
    session.errors = { ...session.errors, export: messageOf(err) };
  }
}
