/**
 * The renderer's one way to the main process: `call(op, arg)` and `job(op, arg)` over whichever
 * transport the page runs on, the desktop preload (`window.mslens`) or web mode's HTTP server.
 * Only types come from api.ts; errors arrive as `{ code, message, detail, action? }` and are thrown as
 * ApiError, their action worded for the app.
 */
import type { Arg, FrontEventName, FrontEvents, OpName, Reply, Result, WireError } from '$api';
import { errorInAppTerms } from './error-actions';
import { desktopTransport, webTransport, type Transport } from './transports';

export class ApiError extends Error {
  readonly code: WireError['code'];
  readonly detail: WireError['detail'];
  readonly action: WireError['action'];
  /** The message ends with the error's action worded for the app. */
  constructor(e: WireError) {
    super(errorInAppTerms(e));
    this.action = e.action;
    this.name = 'ApiError';
    this.code = e.code;
    this.detail = e.detail;
  }
}

export interface Job<T> {
  jobId: string;
  result: Promise<T>;
  cancel(): Promise<void>;
}

type Listener<E extends FrontEventName> = (payload: FrontEvents[E]) => void;

export class ApiClient {
  readonly #transport: Transport;
  readonly #listeners = new Map<string, Set<(payload: unknown) => void>>();

  constructor(transport: Transport) {
    this.#transport = transport;
    transport.onEvent((name, payload) => {
      for (const l of this.#listeners.get(name) ?? []) l(payload);
    });
  }

  /** 'desktop' in the Electron window, 'web' in a browser. */
  get kind(): Transport['kind'] {
    return this.#transport.kind;
  }

  async call<N extends OpName>(name: N, arg: Arg<N>, jobId: string = newJobId()): Promise<Result<N>> {
    const reply = (await this.#transport.invoke(name, arg, jobId)) as Reply<Result<N>>;
    if (!reply.ok) throw new ApiError(reply.error);
    return reply.value;
  }

  /** A call that reports progress (events carrying its job id) and can be cancelled. */
  job<N extends OpName>(name: N, arg: Arg<N>, onProgress?: Listener<'progress'>): Job<Result<N>> {
    const jobId = newJobId();
    const off = onProgress ? this.on('progress', (p) => { if (p.jobId === jobId) onProgress(p); }) : () => {};
    const result = this.call(name, arg, jobId).finally(off);
    return { jobId, result, cancel: async () => { await this.call('cancelJob', { jobId }).catch(() => {}); } };
  }

  on<E extends FrontEventName>(name: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    const l = listener as (payload: unknown) => void;
    set.add(l);
    return () => { set.delete(l); };
  }

  /** A URL the page can stream (with byte ranges) for a file the user opened. */
  fileUrl(path: string): string {
    return this.#transport.fileUrl(path);
  }
}

export function newJobId(): string {
  return crypto.randomUUID();
}

export function createApiClient(): ApiClient {
  return new ApiClient(window.mslens ? desktopTransport(window.mslens) : webTransport());
}

/** A message for any error, for showing beside the control that failed. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return `Something went wrong: ${err.message}`;
  return 'Something went wrong.';
}
