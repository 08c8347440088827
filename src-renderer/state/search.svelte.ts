/** Text search: the query, its scores for every tile (heat layer), the top-k, threshold and opacity. */
import type { SearchResult } from '$api';
import { ApiError, messageOf } from '../lib/api-client';
import type { Session } from './session.svelte';

export interface ScoreRange {
  min: number;
  max: number;
}

export function scoreRange(scores: readonly { score: number }[] | undefined): ScoreRange {
  if (!scores?.length) return { min: 0, max: 1 };
  let min = Infinity;
  let max = -Infinity;
  for (const { score } of scores) { if (score < min) min = score; if (score > max) max = score; }
  return max > min ? { min, max } : { min: min - 0.5, max: max + 0.5 };
}

/** A first threshold that lights up the better part of the range, not every tile. */
export function defaultThreshold(r: ScoreRange): number {
  return r.min + 0.35 * (r.max - r.min);
}

export class SearchState {
  readonly #session: Session;
  query = $state('');
  topK = $state(20);
  threshold = $state(0);
  opacity = $state(1);
  result = $state.raw<SearchResult | null>(null);
  running = $state(false);
  error = $state<string | null>(null);
  /** The last error was a query only an open-vocabulary model answers. */
  needsModel = $state(false);
  range = $derived(scoreRange(this.result?.allScores));
  /** The top-k at or above the threshold: outlined on the map and listed. */
  hits = $derived((this.result?.results ?? []).filter((h) => h.score >= this.threshold));

  constructor(session: Session) {
    this.#session = session;
  }

  get recent(): string[] {
    return this.#session.app?.recent.queries ?? [];
  }

  clear(): void {
    this.result = null;
    this.error = null;
  }

  async run(text = this.query): Promise<void> {
    const s = this.#session;
    const q = text.trim();
    this.query = q;
    if (!s.index) {
      this.error = s.scene ? 'Index the scene first: click “Index scene” above.' : 'Open a scene first.';
      return;
    }
    if (!q) {
      this.error = 'Type what to look for, e.g. “water”, then press Enter.';
      return;
    }
    this.running = true;
    this.error = null;
    this.needsModel = false;
    try {
      const result = await s.api.call('search', { index: s.index.path, text: q, topK: this.topK, allScores: true });
      this.result = result;
      this.threshold = defaultThreshold(scoreRange(result.allScores));
      s.hint = false;
      void s.remember({ queries: [q, ...this.recent.filter((x) => x !== q)].slice(0, 24) });
    } catch (err) {
      this.error = messageOf(err);
      this.needsModel = err instanceof ApiError && err.code === 'QUERY_NOT_UNDERSTOOD';
    } finally {
      this.running = false;
    }
  }
}
