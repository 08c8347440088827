/**
 * Just enough of the ZIP format to read a `torch.save` file: the end-of-central-directory
 * record (plain and zip64), the central directory, and the local header of each entry we
 * read. Entries must be STORED (uncompressed), as torch writes them; the reader never holds
 * more than the directory and the bytes a caller asks for.
 */
import type { FileHandle } from 'node:fs/promises';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_MIN_SIZE = 56;
const MAX_COMMENT = 0xffff;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const METHOD_STORED = 0;
const FLAG_ENCRYPTED = 0x1;
const ZIP64_EXTRA_ID = 0x0001;
/** A checkpoint's directory is ~100 bytes per tensor; refuse absurd ones rather than allocate them. */
const MAX_DIRECTORY_BYTES = 64 * 1024 * 1024;

/** A problem with the archive itself; the caller turns it into a user-facing error. */
export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
  constructor(
    message: string,
    /** True when the bytes look cut off (a short read or a record past the end of the file). */
    readonly truncated = false,
  ) {
    super(message);
  }
}

export interface ZipEntry {
  readonly name: string;
  /** 0 = STORED, 8 = DEFLATE, … */
  readonly method: number;
  readonly flags: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Offset of the entry's local header in the file. */
  readonly localHeaderOffset: number;
}

export interface ZipDirectory {
  readonly fileSize: number;
  readonly entries: readonly ZipEntry[];
  get(name: string): ZipEntry | undefined;
}

/**
 * Reads `length` bytes at `position` into a new buffer (or into `target`), looping over
 * short reads. Throws a truncated ZipFormatError at end of file.
 */
export async function readExactly(
  fh: FileHandle,
  position: number,
  length: number,
  target: Uint8Array = new Uint8Array(length),
): Promise<Uint8Array> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(target, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new ZipFormatError(`the file ends at byte ${position + done}, before the ${length} bytes expected at ${position}`, true);
    }
    done += bytesRead;
  }
  return target;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A uint64 as a number; offsets and sizes above 2^53 cannot occur in a real file. */
function u64(dv: DataView, at: number): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError('a zip64 size or offset is impossibly large');
  return Number(v);
}

interface EndRecord {
  entryCount: number;
  cdSize: number;
  cdOffset: number;
}

async function readEndRecord(fh: FileHandle, fileSize: number): Promise<EndRecord> {
  if (fileSize < EOCD_SIZE) throw new ZipFormatError(`the file is only ${fileSize} bytes long`);
  const tailLength = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT + ZIP64_LOCATOR_SIZE);
  const tailStart = fileSize - tailLength;
  const tail = await readExactly(fh, tailStart, tailLength);
  const dv = view(tail);
  let at = -1;
  for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
    if (dv.getUint32(i, true) === SIG_EOCD && i + EOCD_SIZE + dv.getUint16(i + 20, true) <= tailLength) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new ZipFormatError('no end-of-central-directory record was found');

  const disk = dv.getUint16(at + 4, true);
  const cdDisk = dv.getUint16(at + 6, true);
  let entryCount = dv.getUint16(at + 10, true);
  let cdSize = dv.getUint32(at + 12, true);
  let cdOffset = dv.getUint32(at + 16, true);

  const locatorAt = at - ZIP64_LOCATOR_SIZE;
  if (locatorAt >= 0 && dv.getUint32(locatorAt, true) === SIG_ZIP64_LOCATOR) {
    const zip64At = u64(dv, locatorAt + 8);
    if (zip64At + ZIP64_EOCD_MIN_SIZE > fileSize) throw new ZipFormatError('the zip64 end record points past the end of the file', true);
    const rec = view(await readExactly(fh, zip64At, ZIP64_EOCD_MIN_SIZE));
    if (rec.getUint32(0, true) !== SIG_ZIP64_EOCD) throw new ZipFormatError('the zip64 end record is missing or damaged');
    if (rec.getUint32(16, true) !== 0 || rec.getUint32(20, true) !== 0) throw new ZipFormatError('multi-part (split) archives are not supported');
    entryCount = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
  } else if (entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new ZipFormatError('the archive needs zip64 records, but they are missing');
  } else if (disk !== 0 || cdDisk !== 0) {
    throw new ZipFormatError('multi-part (split) archives are not supported');
  }
  if (cdOffset + cdSize > fileSize) throw new ZipFormatError('the central directory lies past the end of the file', true);
  if (cdSize > MAX_DIRECTORY_BYTES) throw new ZipFormatError(`the central directory is ${cdSize} bytes, far more than a checkpoint needs`);
  return { entryCount, cdSize, cdOffset };
}

function parseZip64Extra(
  extra: DataView,
  sizes: { usize: number; csize: number; offset: number },
): void {
  let p = 0;
  while (p + 4 <= extra.byteLength) {
    const id = extra.getUint16(p, true);
    const len = extra.getUint16(p + 2, true);
    const body = p + 4;
    if (body + len > extra.byteLength) break;
    if (id === ZIP64_EXTRA_ID) {
      let q = body;
      const take = (): number => {
        if (q + 8 > body + len) throw new ZipFormatError('a zip64 extra field is too short');
        const v = u64(extra, q);
        q += 8;
        return v;
      };
      // Only the fields whose 32-bit value is saturated are present, in this order.
      if (sizes.usize === 0xffffffff) sizes.usize = take();
      if (sizes.csize === 0xffffffff) sizes.csize = take();
      if (sizes.offset === 0xffffffff) sizes.offset = take();
      return;
    }
    p = body + len;
  }
}

/** Reads the central directory. The file handle stays open and owned by the caller. */
export async function readZipDirectory(fh: FileHandle, fileSize: number): Promise<ZipDirectory> {
  const end = await readEndRecord(fh, fileSize);
  const cd = await readExactly(fh, end.cdOffset, end.cdSize);
  const dv = view(cd);
  const decoder = new TextDecoder('utf-8');
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < end.entryCount; i++) {
    if (p + CENTRAL_HEADER_SIZE > cd.length || dv.getUint32(p, true) !== SIG_CENTRAL) {
      throw new ZipFormatError(`central directory entry ${i} is damaged`);
    }
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const sizes = {
      csize: dv.getUint32(p + 20, true),
      usize: dv.getUint32(p + 24, true),
      offset: dv.getUint32(p + 42, true),
    };
    const nameStart = p + CENTRAL_HEADER_SIZE;
    const next = nameStart + nameLen + extraLen + commentLen;
    if (next > cd.length) throw new ZipFormatError(`central directory entry ${i} runs past the directory`);
    const name = decoder.decode(cd.subarray(nameStart, nameStart + nameLen));
    parseZip64Extra(new DataView(cd.buffer, cd.byteOffset + nameStart + nameLen, extraLen), sizes);
    entries.push({
      name,
      method,
      flags,
      compressedSize: sizes.csize,
      uncompressedSize: sizes.usize,
      localHeaderOffset: sizes.offset,
    });
    p = next;
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  return { fileSize, entries, get: (name) => byName.get(name) };
}

/**
 * Where the entry's bytes start, from its local header (torch pads the local extra field so
 * that data is 64-byte aligned, so the central directory alone does not tell). Rejects
 * compressed or encrypted entries: torch never writes them.
 */
export async function entryDataOffset(fh: FileHandle, dir: ZipDirectory, entry: ZipEntry): Promise<number> {
  if (entry.flags & FLAG_ENCRYPTED) throw new ZipFormatError(`${entry.name} is encrypted`);
  if (entry.method !== METHOD_STORED) {
    throw new ZipFormatError(`${entry.name} is compressed (zip method ${entry.method}); PyTorch stores checkpoint records uncompressed`);
  }
  if (entry.compressedSize !== entry.uncompressedSize) throw new ZipFormatError(`${entry.name} has inconsistent sizes`);
  if (entry.localHeaderOffset + LOCAL_HEADER_SIZE > dir.fileSize) {
    throw new ZipFormatError(`${entry.name} starts past the end of the file`, true);
  }
  const head = view(await readExactly(fh, entry.localHeaderOffset, LOCAL_HEADER_SIZE));
  if (head.getUint32(0, true) !== SIG_LOCAL) throw new ZipFormatError(`the local header of ${entry.name} is damaged`);
  const start = entry.localHeaderOffset + LOCAL_HEADER_SIZE + head.getUint16(26, true) + head.getUint16(28, true);
  if (start + entry.uncompressedSize > dir.fileSize) throw new ZipFormatError(`${entry.name} runs past the end of the file`, true);
  return start;
}
