/**
 * Errors that cross a boundary (IPC, HTTP, CLI) as plain `{ code, message, detail, action }`.
 * A message says what happened in words that fit every front; what the user can do next, when
 * it is a step a front offers (an option, a command, a button), travels as a typed `action`
 * that each front words in its own terms (the CLI as flags and commands, the app as controls).
 *
 * Every message is tidied here, once: control characters and NUL bytes are dropped, quoted
 * input and over-long words (paths, ids, queries) are cut, so hostile input is never echoed
 * whole, and a raw system error code never reaches the user.
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

/** An operation option a front lets the user change (the CLI's flag, the app's control). */
export type OptionName = 'tile' | 'stride' | 'max-cloud' | 'model' | 'out';

/** The next step, independent of the front that words it. */
export type ErrorAction =
  /** Make the demo scene. */
  | { kind: 'make-demo' }
  /** Build (or rebuild) an index of a scene, optionally with a given model. */
  | { kind: 'build-index'; scene?: string; model?: string }
  /** Install a model from the catalogue. */
  | { kind: 'install-model'; model: string }
  /** Accept a model's licence to install it. */
  | { kind: 'accept-licence'; model: string }
  /** Install a model from a file downloaded by hand (the CLI's --file, the app's file pick). */
  | { kind: 'install-from-file'; model?: string; url?: string }
  /** Convert a checkpoint of one's own. */
  | { kind: 'import-model' }
  /** Change an option: make it smaller or larger, or give it at all. */
  | { kind: 'option'; name: OptionName; change?: 'smaller' | 'larger' | 'up-to-1' };

export interface WireError {
  code: ErrorCode;
  message: string;
  detail: Record<string, string | number>;
  action?: ErrorAction;
}

export interface MslensErrorOptions extends ErrorOptions {
  action?: ErrorAction;
}

export class MslensError extends Error {
  override readonly name = 'MslensError';
  readonly action?: ErrorAction;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail: Record<string, string | number> = {},
    options?: MslensErrorOptions,
  ) {
    super(tidyMessage(message), options);
    if (options?.action) this.action = options.action;
  }

  toWire(): WireError {
    return { code: this.code, message: this.message, detail: tidyDetail(this.detail), ...(this.action ? { action: this.action } : {}) };
  }
}

/** Longest quoted input kept in a message. */
const MAX_QUOTED = 80;
/** Longest run without spaces (a path, an id) kept in a message. */
const MAX_WORD = 160;
/** Longest message. */
const MAX_MESSAGE = 1200;

/** `s` without control characters (newlines and tabs become spaces) and cut to `max` characters. */
export function clip(s: string, max = MAX_QUOTED): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\t\n\r\v\f]+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Input quoted for a message: `"forest"`, cut and cleaned. */
export function quote(s: string, max = MAX_QUOTED): string {
  return `"${clip(s, max)}"`;
}

/** A message made safe to print: one line, no control characters, quoted input and long words cut. */
export function tidyMessage(message: string): string {
  let m = clip(message, Number.MAX_SAFE_INTEGER);
  m = m.replace(/"([^"]{81,})"/g, (_, q: string) => quote(q));
  m = m.replace(/\S{161,}/g, (w) => `${w.slice(0, MAX_WORD / 2 - 1)}…${w.slice(-MAX_WORD / 2)}`);
  return m.length > MAX_MESSAGE ? `${m.slice(0, MAX_MESSAGE - 1)}…` : m;
}

function tidyDetail(detail: Record<string, string | number>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(detail)) out[k] = typeof v === 'string' ? clip(v, 4096) : v;
  return out;
}

/** What a Node system error code means, in words ("it does not exist"). */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'it does not exist',
  EACCES: 'permission to it is denied',
  EPERM: 'the operation is not permitted',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'part of its path is a file, not a folder',
  ELOOP: 'its symbolic links form a loop',
  ENAMETOOLONG: 'its name or path is too long',
  EEXIST: 'something is already there',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'it is on a read-only file system',
  EMFILE: 'too many files are open at once',
  ENFILE: 'too many files are open at once',
  EBUSY: 'it is in use by another program',
  ENXIO: 'it is a device or socket that cannot be read',
  EINVAL: 'it cannot be read this way',
  EIO: 'the disk reported a read or write error',
  EXDEV: 'it is on another disk',
  ENOTEMPTY: 'the folder is not empty',
  ETIMEDOUT: 'the operation timed out',
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was cut',
  ENOTFOUND: 'the host name could not be resolved',
  EAI_AGAIN: 'the host name could not be resolved',
};

export function systemErrorWords(code: string | undefined): string | undefined {
  return code ? SYSTEM_ERRORS[code] : undefined;
}

interface SystemError { code?: string; syscall?: string; path?: string; dest?: string }

function isSystemError(err: unknown): err is Error & SystemError {
  return err instanceof Error && typeof (err as SystemError).code === 'string' && /^E[A-Z_]+$/.test((err as SystemError).code!) && typeof (err as SystemError).syscall === 'string';
}

const WRITES = new Set(['mkdir', 'open', 'write', 'rename', 'copyfile', 'symlink', 'link', 'unlink', 'rmdir', 'rm', 'utime', 'chmod', 'ftruncate']);

/**
 * A file-system error as one sentence naming the file and the reason in words, or null when
 * `err` is not one. `what` names the file's role ("the index").
 */
export function fileSystemError(err: unknown, what?: string): MslensError | null {
  if (!isSystemError(err)) return null;
  const words = systemErrorWords(err.code) ?? 'the operating system refused';
  const path = err.path ?? '';
  const name = path ? `${clip(path.split(/[\\/]/).filter(Boolean).pop() ?? path)}` : (what ?? 'a file');
  const verb = err.syscall === 'mkdir' ? 'create the folder' : err.syscall === 'scandir' ? 'list the folder' : WRITES.has(err.syscall ?? '') && err.code !== 'ENOENT' ? 'write' : 'read';
  const code: ErrorCode = err.code === 'ENOENT' ? 'NOT_FOUND' : 'BAD_ARGUMENT';
  const fix = err.code === 'ENOENT' ? 'Check the path.' : err.code === 'ENOTDIR' || err.code === 'EEXIST' ? 'Choose a path inside a folder.' : err.code === 'ENAMETOOLONG' ? 'Choose a shorter path.' : err.code === 'ENOSPC' || err.code === 'EDQUOT' ? 'Free some space and try again.' : 'Check the path and its permissions.';
  return new MslensError(code, `Could not ${verb} ${name}${what && path ? ` (${what})` : ''}: ${words}. ${fix}`, path ? { path } : {}, { cause: err });
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR');
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new MslensError('CANCELLED', 'The operation was cancelled.');
}

/** The error a worker or another process sent back as a WireError. */
export function fromWireError(e: WireError): MslensError {
  return new MslensError(e.code, e.message, e.detail, e.action ? { action: e.action } : undefined);
}

/**
 * Maps anything thrown to the wire form: a file-system error in words; anything else that is
 * not an MslensError is a bug and is reported as INTERNAL.
 */
export function toWireError(err: unknown): WireError {
  if (err instanceof MslensError) return err.toWire();
  if (isAbortError(err)) return { code: 'CANCELLED', message: 'The operation was cancelled.', detail: {} };
  const fs = fileSystemError(err);
  if (fs) return fs.toWire();
  return {
    code: 'INTERNAL',
    message: 'Something went wrong inside mslens; details are in the log.',
    detail: {},
  };
}
