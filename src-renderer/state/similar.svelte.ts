/**
 * Find similar, refined as in Earth Index: positive examples (the first is the anchor) and
 * negative ones; every change re-scores the index, which takes milliseconds.
 */
import { messageOf } from '../lib/api-client';
import { defaultThreshold, noIndexMessage, RankedTiles } from './ranked-tiles.svelte';
import type { Session } from './session.svelte';

export class SimilarState extends RankedTiles {
  readonly #session: Session;
  positives = $state<string[]>([]);
  negatives = $state<string[]>([]);
  /** What a map click adds. */
  mark = $state<'positive' | 'negative'>('positive');
  #seq = 0;

  constructor(session: Session) {
    super();
    this.#session = session;
  }

  clear(): void {
    this.positives = [];
    this.negatives = [];
    this.result = null;
    this.error = null;
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
    if (!s.index) {
      this.error = noIndexMessage(s);
      return;
    }
    if (this.positives.length === 0) {
      this.result = null;
      this.error = null;
      return;
    }
    const seq = ++this.#seq;
    const keepThreshold = this.result !== null;
    this.running = true;
    this.error = null;
    try {
      const [tile, ...positive] = this.positives;
      const result = await s.api.call('similar', { index: s.index.path, tile, positive, negative: this.negatives, topK: this.topK, allScores: true });
      if (seq !== this.#seq) return;
      this.result = result;
      const r = this.range;
      if (!keepThreshold || this.threshold < r.min || this.threshold > r.max) this.threshold = defaultThreshold(r);
      s.hint = false;
    } catch (err) {
      if (seq === this.#seq) this.error = messageOf(err);
    } finally {
      if (seq === this.#seq) this.running = false;
    }
  }
}
