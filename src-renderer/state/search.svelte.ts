/** Text search: the query, its scores for every tile (heat layer), the top-k, threshold and opacity. */
import { defaultThreshold, noIndexMessage, RankedTiles } from './ranked-tiles.svelte';
import type { Session } from './session.svelte';

export class SearchState extends RankedTiles {
  readonly #session: Session;
  query = $state('');

  constructor(session: Session) {
    super();
    this.#session = session;
  }

  get recent(): string[] {
    return this.#session.app?.recent.queries ?? [];
  }

  async run(text = this.query): Promise<void> {
    const s = this.#session;
    const q = text.trim();
    this.query = q;
    const index = s.index;
    if (!index) return this.fail(noIndexMessage(s));
    if (!q) return this.fail('Type what to look for, e.g. “water”, then press Enter.');
    const result = await this.settle(() => s.api.call('search', { index: index.path, text: q, topK: this.topK, allScores: true }));
    if (!result) return;
    this.threshold = defaultThreshold(this.range);
    s.hint = false;
    void s.remember({ queries: [q, ...this.recent.filter((x) => x !== q)].slice(0, 24) });
  }
}
