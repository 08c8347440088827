/**
 * The one check every file mslens is given goes through before it is opened: it exists and is
 * a regular file (or a folder where a folder is expected). A named pipe, socket or device
 * would block a read forever or never end, so it is refused by what it is. Text files (JSON
 * configs, STAC items) are read with a size limit, a UTF-8 BOM is skipped and UTF-16 is named.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename } from 'node:path';
import { MslensError, clip, fileSystemError, type ErrorCode } from './errors.ts';

export interface InputFileOptions {
  /** The file's role, for messages: "scene", "checkpoint", "model config". */
  what: string;
  /** A folder is acceptable too. @default false */
  folder?: boolean;
  /** The error code when the file is of the wrong kind. @default 'BAD_ARGUMENT' */
  code?: ErrorCode;
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

/**
 * The file's stats, or an MslensError: NOT_FOUND when missing, the reason in words when it
 * cannot be looked at (a symlink loop, permissions), and `code` when it is not a regular file.
 */
export async function requireInputFile(path: string, opts: InputFileOptions): Promise<Stats> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch (err) {
    const fs = fileSystemError(err, `the ${opts.what}`);
    if (fs && (err as { code?: string }).code === 'ENOENT') throw new MslensError('NOT_FOUND', `${clip(basename(path) || path)} does not exist: check the path to the ${opts.what}.`, { path });
    throw fs ?? err;
  }
  if (st.isFile() || (opts.folder && st.isDirectory())) return st;
  const kind = kindOf(st);
  const want = opts.folder ? 'a file or a folder' : 'a regular file';
  throw new MslensError(opts.code ?? 'BAD_ARGUMENT', `${clip(basename(path) || path)} is ${kind}, not ${want}: give the ${opts.what} as ${opts.folder ? 'a file or folder on disk' : 'a file on disk'}.`, { path });
}

/** Longest text file read whole (configs, STAC items). */
export const MAX_TEXT_FILE = 64 * 1024 * 1024;

/** The text of a UTF-8 file (a BOM skipped); UTF-16 and binary files are refused by name. */
export function decodeText(bytes: Uint8Array, name: string, what: string, code: ErrorCode = 'BAD_ARGUMENT'): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes.length > 1 && (bytes[0] === 0 || bytes[1] === 0))) {
    throw new MslensError(code, `${clip(name)} is UTF-16 text; mslens reads the ${what} as UTF-8: save it as UTF-8 (iconv -f UTF-16 -t UTF-8).`, { path: name });
  }
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return new TextDecoder('utf-8').decode(bytes.subarray(start));
}

/** Reads a JSON file as the `what` (a checked regular file of at most MAX_TEXT_FILE bytes). */
export async function readJsonFile(path: string, what: string, code: ErrorCode = 'BAD_ARGUMENT'): Promise<unknown> {
  const st = await requireInputFile(path, { what, code });
  const name = basename(path);
  if (st.size > MAX_TEXT_FILE) throw new MslensError(code, `${clip(name)} is ${Math.round(st.size / 2 ** 20)} MB, too large for a ${what} (at most ${MAX_TEXT_FILE >> 20} MB).`, { path });
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw fileSystemError(err, `the ${what}`) ?? err;
  }
  const text = decodeText(bytes, name, what, code);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new MslensError(code, `${clip(name)} is not valid JSON (${clip((err as Error).message)}), so it cannot be read as the ${what}.`, { path }, { cause: err });
  }
}
