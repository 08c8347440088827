/**
 * Replace a file all at once: readers see the old content or the new, never a partial file.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Calls `write` with a temporary file `.<name>.tmp-<pid>-<random>` beside `path`, then fsyncs it
 * and renames it over `path`. If anything fails the temporary file is removed and the error
 * rethrown. On Windows the rename fails (EPERM) while another program holds `path` open without
 * delete sharing.
 */
export async function writeFileAtomically(path: string, write: (file: FileHandle) => Promise<void>): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  let file: FileHandle | undefined;
  try {
    file = await open(tmp, 'wx');
    await write(file);
    await file.sync();
    await file.close();
    file = undefined;
    await rename(tmp, path);
  } catch (err) {
    await file?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  // Persist the rename itself. Directories cannot be opened for fsync on Windows; skip there.
  await open(dir, 'r')
    .then(async (d) => { try { await d.sync(); } finally { await d.close(); } })
    .catch(() => {});
}
