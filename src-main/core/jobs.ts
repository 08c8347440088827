/**
 * Cancellable jobs. A front runs every operation under a job id the caller chose; the job's
 * progress events carry that id, and `cancelJob { jobId }` aborts it through its signal.
 */
import { MslensError } from './errors.ts';

/** Job ids are chosen by callers (the renderer uses crypto.randomUUID()). */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{6,64}$/;

/** What `cancelJob` needs from a front: reach a running job by id. */
export interface JobControl {
  /** Aborts the job; false when no job of that id is running. */
  cancel(jobId: string): boolean;
}

export class JobRegistry implements JobControl {
  readonly #running = new Map<string, AbortController>();

  /**
   * Runs `task` as job `jobId`, with a signal that aborts on cancel() or when `outer` aborts
   * (a closed HTTP request, a destroyed window).
   */
  async run<T>(jobId: string, task: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
    if (!JOB_ID_PATTERN.test(jobId)) throw new MslensError('BAD_ARGUMENT', 'A job id is 6 to 64 letters, digits, "-" or "_".', { jobId: jobId.slice(0, 80) });
    if (this.#running.has(jobId)) throw new MslensError('BAD_ARGUMENT', `Job ${jobId} is already running; use a new id for each call.`, { jobId });
    const controller = new AbortController();
    const onOuterAbort = (): void => controller.abort();
    if (outer?.aborted) controller.abort();
    outer?.addEventListener('abort', onOuterAbort);
    this.#running.set(jobId, controller);
    try {
      return await task(controller.signal);
    } finally {
      this.#running.delete(jobId);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }

  cancel(jobId: string): boolean {
    const c = this.#running.get(jobId);
    c?.abort();
    return c !== undefined;
  }

  /** Aborts every running job (the window closed, the server stops). */
  cancelAll(): void {
    for (const c of this.#running.values()) c.abort();
  }

  get size(): number {
    return this.#running.size;
  }
}
