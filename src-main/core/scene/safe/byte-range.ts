/**
 * A run of bytes in a file, read at offsets: a whole JPEG 2000 file, or one stored entry of a
 * zip read in place. Positions are relative to the start of the run.
 */
import { open, type FileHandle } from 'node:fs/promises';

/** The bytes asked for run past the end (the file is cut off). */
export class TruncatedError extends Error {
  override readonly name = 'TruncatedError';
}

export interface ByteRange {
  readonly size: number;
  /** `length` bytes at `position`, into `into` when given (at least `length` long). */
  read(position: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** `size` bytes of the file at `path` from `start` (default: the whole file). */
export async function fileByteRange(path: string, start = 0, size?: number): Promise<ByteRange> {
  const fh: FileHandle = await open(path, 'r');
  let length: number;
  try {
    const fileSize = (await fh.stat()).size;
    length = size ?? fileSize - start;
    if (start + length > fileSize) throw new TruncatedError(`the file ends at byte ${fileSize}, before the ${start + length} bytes expected`);
  } catch (err) {
    await fh.close();
    throw err;
  }
  let closed = false;
  return {
    size: length,
    async read(position, n, into) {
      if (position < 0 || position + n > length) throw new TruncatedError(`${n} bytes at ${position} run past the end (${length} bytes)`);
      const out = into ? into.subarray(0, n) : new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const { bytesRead } = await fh.read(out, done, n - done, start + position + done);
        if (bytesRead === 0) throw new TruncatedError(`the file ends before byte ${start + position + n}`);
        done += bytesRead;
      }
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}
