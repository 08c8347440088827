/**
 * One analysis's outcome: its result or the error that replaced it, never both. The map's
 * layers, the legend and the panel's list all read `result`, so a failed run clears all three
 * together; the answer to an older request than the last is dropped.
 */
import { ApiError, messageOf } from '../lib/api-client';

export class AnalysisOutcome<R> {
  result = $state.raw<R | null>(null);
  error = $state<string | null>(null);
  /** The error was something only an open-vocabulary model answers: offer its install. */
  needsModel = $state(false);
  running = $state(false);
  #seq = 0;

  /** No result, no error, and any request still running is forgotten. */
  clear(): void {
    this.#seq++;
    this.result = null;
    this.error = null;
    this.needsModel = false;
    this.running = false;
  }

  /** Replaces the result with an error (a run refused before it reached the model). */
  fail(message: string): void {
    this.clear();
    this.error = message;
  }

  /** Runs a request; its result replaces the last one, or its error does. Null when it failed or was overtaken. */
  protected async settle(request: () => Promise<R>): Promise<R | null> {
    const seq = ++this.#seq;
    this.running = true;
    this.error = null;
    this.needsModel = false;
    try {
      const r = await request();
      if (seq !== this.#seq) return null;
      this.result = r;
      return r;
    } catch (err) {
      if (seq === this.#seq) {
        this.result = null;
        this.error = messageOf(err);
        this.needsModel = err instanceof ApiError && err.code === 'QUERY_NOT_UNDERSTOOD';
      }
      return null;
    } finally {
      if (seq === this.#seq) this.running = false;
    }
  }
}
