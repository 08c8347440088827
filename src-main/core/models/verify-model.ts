/**
 * Model files are checked against the sha256 their manifest records before a model is used.
 * Hashing a 600 MB model on every load would cost seconds, so a file that matched is
 * remembered by path, size and mtime in a small store in the data folder; only a file that
 * changed (or is new) is hashed again.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MslensError } from '../errors.ts';
import { writeFileAtomically } from '../index/atomic-write.ts';
import { catalogueEntry } from './model-catalogue.ts';
import { manifestFiles, type InstalledModel } from './manifest.ts';

export interface VerifyOptions {
  /** JSON file remembering files that matched. Without one, every file is hashed. */
  store?: string;
}

export interface VerifyReport {
  /** Files that were hashed (the rest matched the store). */
  hashed: string[];
}

interface Seen { size: number; mtimeMs: number; sha256: string }
interface Store { version: 1; files: Record<string, Seen> }

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function readStore(path: string | undefined): Promise<Store> {
  const empty: Store = { version: 1, files: {} };
  if (!path) return empty;
  try {
    const s = JSON.parse(await readFile(path, 'utf8')) as Store;
    return s?.version === 1 && typeof s.files === 'object' && s.files !== null ? s : empty;
  } catch {
    return empty; // missing or damaged: files are hashed again
  }
}

/** What to do about a damaged or missing file, by where the model came from. */
function remedy(model: InstalledModel): string {
  if (model.builtIn) return 'Reinstall mslens to restore it.';
  const entry = catalogueEntry(model.manifest.id);
  return entry ? `Install ${entry.name} again to replace it.` : 'Import its checkpoint again to replace it.';
}

/**
 * Checks that every file the manifest names exists and has its recorded hash; throws
 * MODEL_LOAD_FAILED (naming the file and what to do) otherwise.
 */
export async function verifyModelFiles(model: InstalledModel, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const store = await readStore(opts.store);
  const hashed: string[] = [];
  const { id, name } = model.manifest;
  for (const { file, sha256 } of manifestFiles(model.manifest)) {
    const path = join(model.dir, file);
    const st = await stat(path).catch(() => null);
    if (!st?.isFile()) {
      throw new MslensError('MODEL_LOAD_FAILED', `${name} is missing ${file}, so it can't be loaded. ${remedy(model)}`, { model: id, path });
    }
    const seen = store.files[path];
    if (seen && seen.size === st.size && seen.mtimeMs === st.mtimeMs && seen.sha256 === sha256) continue;
    const actual = await sha256File(path);
    hashed.push(file);
    if (actual !== sha256) {
      delete store.files[path];
      await writeStore(opts.store, store);
      throw new MslensError('MODEL_LOAD_FAILED', `${name}: ${file} is not the file that was installed (its checksum differs: it was changed or is damaged), so it was not loaded. ${remedy(model)}`, { model: id, path, expected: sha256, actual });
    }
    store.files[path] = { size: st.size, mtimeMs: st.mtimeMs, sha256 };
  }
  if (hashed.length) await writeStore(opts.store, store);
  return { hashed };
}

async function writeStore(path: string | undefined, store: Store): Promise<void> {
  if (!path) return;
  // Entries of files that are gone (a removed or replaced model) are dropped.
  const live = await Promise.all(Object.entries(store.files).map(async ([p, s]) => ((await stat(p).catch(() => null)) ? [[p, s]] : [])));
  const files = Object.fromEntries(live.flat() as [string, Seen][]);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomically(path, (f) => f.writeFile(`${JSON.stringify({ version: 1, files })}\n`).then(() => {}));
  } catch {
    // A read-only data folder only means files are hashed again next time.
  }
}
