/**
 * Files inside a zip (a SAFE product as downloaded): the directory comes from the checkpoint
 * reader (zip-directory.ts, zip64 aware). Stored entries, which is how the Copernicus Data Space
 * packs JPEG 2000 files, are read in place. Deflated ones (a product zipped again by hand) are
 * inflated once into a cache file under the system temp folder, `<tmp>/mslens-zip-cache`,
 * named by the zip's path, size and modification time and the entry; cache files unused for
 * two days are removed when another entry is inflated.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, realpath, rename, rm, rmdir, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw, inflateRawSync } from 'node:zlib';
import { ZipFormatError, readExactly, readZipDirectory, type ZipDirectory, type ZipEntry } from '../../models/checkpoint/zip-directory.ts';
import { fileByteRange, type ByteRange } from './byte-range.ts';

const SIG_LOCAL = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const MAX_TEXT_ENTRY = 64 << 20;
const CACHE_MAX_AGE_MS = 2 * 24 * 3600 * 1000;
/**
 * The most a deflated entry opened for random access (a JPEG 2000 band) may inflate to, as a
 * multiple of its compressed size. JPEG 2000 is compressed already, so deflate gains next to
 * nothing on it (a real band: under 1.1×); an entry of zeros, a zip bomb, gains about 1000×.
 */
export const MAX_INFLATE_RATIO = 20;

export { ZipFormatError };

/** The folder deflated entries are inflated into. */
export function zipCacheDir(): string {
  return join(tmpdir(), 'mslens-zip-cache');
}

export interface ZipArchive {
  readonly path: string;
  readonly entries: readonly ZipEntry[];
  /** The whole entry in memory (metadata files). */
  readText(entry: ZipEntry): Promise<string>;
  /**
   * The entry's bytes for random access: in place when stored, else from the inflate cache.
   * Refused before anything is inflated when it declares more than `maxBytes` or more than
   * MAX_INFLATE_RATIO times its compressed size, and while inflating past its declared size.
   */
  openBytes(entry: ZipEntry, maxBytes?: number): Promise<ByteRange>;
  /** Throws what openBytes would for the sizes alone, without reading or inflating anything. */
  checkBytes(entry: ZipEntry, maxBytes?: number): void;
  close(): Promise<void>;
}

export async function openZipArchive(path: string): Promise<ZipArchive> {
  const fh = await open(path, 'r');
  let dir: ZipDirectory;
  try {
    dir = await readZipDirectory(fh, (await fh.stat()).size);
  } catch (err) {
    await fh.close();
    throw err;
  }
  const dataStart = async (entry: ZipEntry): Promise<number> => {
    if (entry.flags & 0x1) throw new ZipFormatError(`${entry.name} is encrypted`);
    if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATE) throw new ZipFormatError(`${entry.name} is compressed with zip method ${entry.method}, which mslens does not read (only stored and deflated entries)`);
    const head = await readExactly(fh, entry.localHeaderOffset, LOCAL_HEADER_SIZE);
    const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
    if (dv.getUint32(0, true) !== SIG_LOCAL) throw new ZipFormatError(`the local header of ${entry.name} is damaged`);
    const start = entry.localHeaderOffset + LOCAL_HEADER_SIZE + dv.getUint16(26, true) + dv.getUint16(28, true);
    if (start + entry.compressedSize > dir.fileSize) throw new ZipFormatError(`${entry.name} runs past the end of the file`, true);
    return start;
  };
  return {
    path,
    entries: dir.entries,
    async readText(entry) {
      if (entry.uncompressedSize > MAX_TEXT_ENTRY) throw new ZipFormatError(`${entry.name} is too large for a metadata file`);
      const raw = await readExactly(fh, await dataStart(entry), entry.compressedSize);
      try {
        return new TextDecoder().decode(entry.method === METHOD_DEFLATE ? inflateRawSync(raw) : raw);
      } catch (err) {
        throw new ZipFormatError(`${entry.name} is damaged (${(err as Error).message})`);
      }
    },
    checkBytes: (entry, maxBytes) => checkInflateLimits(entry, maxBytes),
    async openBytes(entry, maxBytes = Infinity) {
      const start = await dataStart(entry);
      checkInflateLimits(entry, maxBytes);
      if (entry.method === METHOD_STORED) return fileByteRange(path, start, entry.uncompressedSize);
      return fileByteRange(await inflateToCache(path, entry, start));
    },
    close: () => fh.close(),
  };
}

const mb = (n: number): string => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 0)} MB`;

function checkInflateLimits(entry: ZipEntry, maxBytes = Infinity): void {
  if (entry.uncompressedSize > maxBytes) {
    throw new ZipFormatError(`${entry.name} declares ${mb(entry.uncompressedSize)} uncompressed, more than such a file can need (at most ${mb(maxBytes)}), so it is not inflated`);
  }
  if (entry.method !== METHOD_STORED && entry.uncompressedSize > MAX_INFLATE_RATIO * Math.max(entry.compressedSize, 1)) {
    throw new ZipFormatError(`${entry.name} would inflate from ${mb(entry.compressedSize)} to ${mb(entry.uncompressedSize)}, ${Math.round(entry.uncompressedSize / Math.max(entry.compressedSize, 1))} times its compressed size (a JPEG 2000 file compresses at most ${MAX_INFLATE_RATIO} times), so it is not inflated`);
  }
}

async function inflateToCache(zipPath: string, entry: ZipEntry, start: number): Promise<string> {
  const st = await stat(zipPath);
  const key = createHash('sha256').update(`${await realpath(zipPath)}|${st.size}|${st.mtimeMs}|${entry.name}|${entry.localHeaderOffset}|${entry.compressedSize}|${entry.uncompressedSize}`).digest('hex').slice(0, 24);
  const dir = zipCacheDir();
  const target = join(dir, `${key}-${basename(entry.name)}`);
  const have = await stat(target).catch(() => null);
  if (have?.size === entry.uncompressedSize) {
    const now = new Date();
    await utimes(target, now, now).catch(() => {});
    return target;
  }
  await mkdir(dir, { recursive: true });
  await pruneCache(dir);
  const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    if (entry.compressedSize > 0) {
      // capBytes stops an entry that inflates past what its directory declares.
      await pipeline(createReadStream(zipPath, { start, end: start + entry.compressedSize - 1 }), createInflateRaw(), capBytes(entry), createWriteStream(tmp));
    } else {
      await (await open(tmp, 'w')).close();
    }
    const got = (await stat(tmp)).size;
    if (got !== entry.uncompressedSize) throw new ZipFormatError(`${entry.name} inflates to ${got} bytes, not the ${entry.uncompressedSize} its directory declares`);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    await rmdir(dir).catch(() => {}); // only when empty: nothing of this run is left behind
    if (err instanceof ZipFormatError) throw err;
    if ((err as { code?: string }).code?.startsWith('Z_')) throw new ZipFormatError(`${entry.name} is damaged (${(err as Error).message})`);
    throw err;
  }
  return target;
}

/** Passes an entry's inflated bytes on, and fails as soon as they exceed its declared size. */
function capBytes(entry: ZipEntry): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > entry.uncompressedSize) done(new ZipFormatError(`${entry.name} inflates to more than the ${entry.uncompressedSize} bytes its directory declares`));
      else done(null, chunk);
    },
  });
}

async function pruneCache(dir: string): Promise<void> {
  const cutoff = Date.now() - CACHE_MAX_AGE_MS;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const p = join(dir, name);
    const st = await stat(p).catch(() => null);
    if (st && st.mtimeMs < cutoff) await rm(p, { force: true }).catch(() => {});
  }
}
