/**
 * Errors that cross a boundary (IPC, HTTP, CLI) as plain `{ code, message, detail }`.
 * A message says what happened and what the user can do next.
 */
export type ErrorCode =
  | 'SCENE_UNREADABLE'
  | 'BANDS_MISSING'
  | 'NO_GEOREFERENCE'
  | 'NOT_FOUND'
  | 'MODEL_LOAD_FAILED'
  | 'MODEL_NOT_INSTALLED'
  | 'LICENCE_NOT_ACCEPTED'
  | 'DOWNLOAD_FAILED'
  | 'QUERY_NOT_UNDERSTOOD'
  | 'INDEX_UNREADABLE'
  | 'BAD_ARGUMENT'
  | 'CANCELLED'
  | 'INTERNAL';

export interface WireError {
  code: ErrorCode;
  message: string;
  detail: Record<string, string | number>;
}

export class MslensError extends Error {
  override readonly name = 'MslensError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail: Record<string, string | number> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  toWire(): WireError {
    return { code: this.code, message: this.message, detail: this.detail };
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR');
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new MslensError('CANCELLED', 'The operation was cancelled.');
}

/** Maps anything thrown to the wire form; unknown errors are bugs and are reported as INTERNAL. */
/** The error a worker or another process sent back as a WireError. */
export function fromWireError(e: WireError): MslensError {
  return new MslensError(e.code, e.message, e.detail);
}

export function toWireError(err: unknown): WireError {
  if (err instanceof MslensError) return err.toWire();
  if (isAbortError(err)) return { code: 'CANCELLED', message: 'The operation was cancelled.', detail: {} };
  return {
    code: 'INTERNAL',
    message: 'Something went wrong inside mslens; details are in the log.',
    detail: {},
  };
}
