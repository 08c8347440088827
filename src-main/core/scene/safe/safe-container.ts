/**
 * A SAFE product's files, whether it is a `.SAFE` folder or a `.zip` of one: the listing (paths
 * relative to the product root) and the means to read them. Only the parts mslens uses are
 * listed: the root, and each granule's folder with its IMG_DATA tree.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MslensError } from '../../errors.ts';
import { fileByteRange, type ByteRange } from './byte-range.ts';
import { openZipArchive, ZipFormatError, type ZipArchive } from './zip-entries.ts';

export const PRODUCT_METADATA = /^MTD_MSIL(1C|2A)\.xml$/i;

export interface SafeContainer {
  /** The folder or zip as the user named it. */
  readonly path: string;
  /** Product files relative to its root, '/'-separated. */
  readonly files: readonly string[];
  readText(rel: string): Promise<string>;
  /** The file's bytes for random access (the caller closes them); a zip entry is refused past `maxBytes`. */
  openBytes(rel: string, maxBytes?: number): Promise<ByteRange>;
  /** Throws what openBytes would for a zip entry's declared sizes, before anything is inflated. */
  checkBytes(rel: string, maxBytes?: number): void;
  /** The file's path (a folder) or zip path and entry (a zip), for messages and the read log. */
  label(rel: string): string;
  close(): Promise<void>;
}

async function list(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return {
    files: entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name),
    dirs: entries.filter((e) => e.isDirectory()).map((e) => e.name),
  };
}

/**
 * The product root in a folder: the folder itself when it is named *.SAFE or has the product
 * metadata and a GRANULE folder, or the one such `*.SAFE` folder inside it (an unzipped download).
 */
export async function safeFolderRoot(path: string): Promise<string | null> {
  const top = await list(path);
  if (/\.SAFE$/i.test(basename(path)) || (top.dirs.includes('GRANULE') && top.files.some((f) => PRODUCT_METADATA.test(f)))) return path;
  const inner = top.dirs.filter((d) => /\.SAFE$/i.test(d));
  if (inner.length === 1 && (await list(join(path, inner[0]))).files.some((f) => PRODUCT_METADATA.test(f))) return join(path, inner[0]);
  return null;
}

async function openSafeFolder(path: string): Promise<SafeContainer> {
  const root = (await safeFolderRoot(path)) ?? path;
  const files: string[] = [];
  const top = await list(root);
  files.push(...top.files);
  if (top.dirs.includes('GRANULE')) {
    for (const g of (await list(join(root, 'GRANULE'))).dirs) {
      const gRel = `GRANULE/${g}`;
      const granule = await list(join(root, gRel));
      files.push(...granule.files.map((f) => `${gRel}/${f}`));
      if (!granule.dirs.includes('IMG_DATA')) continue;
      const img = await list(join(root, gRel, 'IMG_DATA'));
      files.push(...img.files.map((f) => `${gRel}/IMG_DATA/${f}`));
      for (const r of img.dirs) files.push(...(await list(join(root, gRel, 'IMG_DATA', r))).files.map((f) => `${gRel}/IMG_DATA/${r}/${f}`));
    }
  }
  const abs = (rel: string): string => join(root, ...rel.split('/'));
  return {
    path,
    files,
    readText: (rel) => readFile(abs(rel), 'utf8'),
    openBytes: (rel) => fileByteRange(abs(rel)),
    checkBytes: () => {},
    label: abs,
    close: async () => {},
  };
}

function zipUnreadable(path: string, err: ZipFormatError): MslensError {
  return new MslensError('SCENE_UNREADABLE', `${basename(path)} is not a readable zip archive: ${err.message}. ${err.truncated ? 'It looks cut off: download it again' : 'Download it again, or unzip it and open the .SAFE folder'}.`, { path }, { cause: err });
}

async function openSafeZip(path: string): Promise<SafeContainer> {
  let zip: ZipArchive;
  try {
    zip = await openZipArchive(path);
  } catch (err) {
    if (err instanceof ZipFormatError) throw zipUnreadable(path, err);
    throw err;
  }
  // The product root: the folder of MTD_MSIL*.xml nearest the top (usually "<name>.SAFE/").
  const roots = zip.entries
    .map((e) => e.name)
    .filter((n) => PRODUCT_METADATA.test(n.split('/').pop() ?? ''))
    .map((n) => n.slice(0, n.length - (n.split('/').pop() ?? '').length))
    .sort((a, b) => a.split('/').length - b.split('/').length);
  const prefix = roots[0] ?? '';
  const byRel = new Map(zip.entries.filter((e) => e.name.startsWith(prefix) && !e.name.endsWith('/')).map((e) => [e.name.slice(prefix.length), e]));
  const entry = (rel: string) => {
    const e = byRel.get(rel);
    if (!e) throw new MslensError('NOT_FOUND', `${rel} is not in ${basename(path)}.`, { path });
    return e;
  };
  const wrap = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      if (err instanceof ZipFormatError) throw zipUnreadable(path, err);
      throw err;
    }
  };
  return {
    path,
    files: [...byRel.keys()],
    readText: (rel) => wrap(() => zip.readText(entry(rel))),
    openBytes: (rel, maxBytes) => wrap(() => zip.openBytes(entry(rel), maxBytes)),
    checkBytes: (rel, maxBytes) => {
      try {
        zip.checkBytes(entry(rel), maxBytes);
      } catch (err) {
        throw err instanceof ZipFormatError ? zipUnreadable(path, err) : err;
      }
    },
    label: (rel) => `${path}/${prefix}${rel}`,
    close: () => zip.close(),
  };
}

/** A `.zip` file or a folder, as a SAFE container (whether it holds a product is the caller's question). */
export async function openSafeContainer(path: string): Promise<SafeContainer> {
  return (await stat(path)).isDirectory() ? openSafeFolder(path) : openSafeZip(path);
}
