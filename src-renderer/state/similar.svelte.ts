/**
 * Find similar, refined as in Earth Index: positive examples (the first is the anchor) and
 * negative ones; every change re-scores the index, which takes milliseconds.
 */
import { defaultThreshold, noIndexMessage, RankedTiles } from './ranked-tiles.svelte';
import type { Session } from './session.svelte';

export class SimilarState extends RankedTiles {
  readonly #session: Session;
  positives = $state<string[]>([]);
  negatives = $state<string[]>([]);
  /** What a map click adds. */
  mark = $state<'positive' | 'negative'>('positive');

  constructor(session: Session) {
    super();
    this.#session = session;
  }

  override clear(): void {
    super.clear();
    this.positives = [];
    this.negatives = [];
  }

  /** Starts over from one tile. */
  async start(tile: string): Promise<void> {
    this.positives = [tile];
    this.negatives = [];
    await this.run();
  }

  /** Adds a tile as an example of the kind given (or moves it there), or removes it if it already is one. */
  async toggle(tile: string, kind: 'positive' | 'negative' = this.mark): Promise<void> {
    const list = kind === 'positive' ? this.positives : this.negatives;
    if (list.includes(tile)) {
      if (kind === 'positive') this.positives = this.positives.filter((t) => t !== tile);
      else this.negatives = this.negatives.filter((t) => t !== tile);
    } else if (kind === 'positive') {
      this.positives = [...this.positives, tile];
      this.negatives = this.negatives.filter((t) => t !== tile);
    } else {
      this.negatives = [...this.negatives, tile];
      this.positives = this.positives.filter((t) => t !== tile);
    }
    await this.run();
  }

  async run(): Promise<void> {
    const s = this.#session;
    const index = s.index;
    if (!index) return this.fail(noIndexMessage(s));
    if (this.positives.length === 0) return this.clear();
    const keepThreshold = this.result !== null;
    const [tile, ...positive] = this.positives;
    const negative = this.negatives;
    const result = await this.settle(() => s.api.call('similar', { index: index.path, tile, positive, negative, topK: this.topK, allScores: true }));
    if (!result) return;
    const r = this.range;
    if (!keepThreshold || this.threshold < r.min || this.threshold > r.max) this.threshold = defaultThreshold(r);
    s.hint = false;
  }
}
