/** Text search: the query, its scores for every tile (heat layer), the top-k, threshold and opacity. */
import { ApiError, messageOf } from '../lib/api-client';
import { defaultThreshold, noIndexMessage, RankedTiles } from './ranked-tiles.svelte';
import type { Session } from './session.svelte';

export class SearchState extends RankedTiles {
  readonly #session: Session;
  query = $state('');
  /** The last error was a query only an open-vocabulary model answers. */
  needsModel = $state(false);

  constructor(session: Session) {
    super();
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
      this.error = noIndexMessage(s);
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
      this.threshold = defaultThreshold(this.range);
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
