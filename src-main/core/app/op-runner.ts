/**
 * What the desktop and web fronts share on top of dispatch(): every call runs as a cancellable
 * job whose progress events carry its id, events fan out to the front's listeners, and a scene
 * the user opened (or its map preview) becomes readable by URL. The fronts stay loops over the
 * api table.
 */
import { randomUUID } from 'node:crypto';
import type { EventName, Events, Handlers, OpName, Reply } from '../api.ts';
import { dispatch, isOpName } from '../dispatch.ts';
import { JobRegistry } from '../jobs.ts';
import { ServedFiles } from './served-files.ts';

export type EventListener = <E extends EventName>(name: E, payload: Events[E]) => void;

export interface RunOptions {
  /** Chosen by the caller so it can cancel the job and match its progress events. */
  jobId?: string;
  /** Aborts the job too (the HTTP request closed, the window went away). */
  signal?: AbortSignal;
}

export interface OpRunner {
  readonly files: ServedFiles;
  readonly jobs: JobRegistry;
  run(name: string, raw: unknown, opts?: RunOptions): Promise<Reply<unknown>>;
  /** Sends an event to every listener (the fronts' own events, e.g. a menu command). */
  emit: EventListener;
  subscribe(listener: EventListener): () => void;
}

export interface OpRunnerOptions {
  /** Where unexpected errors (bugs) are logged. */
  log?: (err: unknown) => void;
}

export function createOpRunner(handlers: Handlers, opts: OpRunnerOptions = {}): OpRunner {
  const files = new ServedFiles();
  const jobs = new JobRegistry();
  const listeners = new Set<EventListener>();
  const emit: EventListener = (name, payload) => {
    for (const l of listeners) {
      try { l(name, payload); } catch (err) { opts.log?.(err); }
    }
  };
  return {
    files,
    jobs,
    emit,
    subscribe(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    async run(name, raw, { jobId = randomUUID(), signal } = {}) {
      if (!isOpName(name)) return { ok: false, error: { code: 'BAD_ARGUMENT', message: `mslens has no operation "${String(name).slice(0, 60)}".`, detail: {} } };
      const op: OpName = name;
      try {
        const reply = await jobs.run(jobId, (jobSignal) => dispatch(handlers, op, raw, {
          signal: jobSignal,
          jobs,
          emit: (event, payload) => emit(event, { ...payload, jobId }),
        }, opts.log), signal);
        // A scene the user opened, and the preview mslens made of it, become readable by URL.
        if (reply.ok && (op === 'openScene' || op === 'sceneImagery')) await files.allow((reply.value as { path: string }).path);
        return reply;
      } catch (err) {
        // Only the registry throws here (a malformed job id, or one in use): report it like any bad argument.
        return { ok: false, error: { code: 'BAD_ARGUMENT', message: (err as Error).message, detail: { op } } };
      }
    },
  };
}
