/**
 * Opens a `torch.save` checkpoint (zip format, torch ≥ 1.6) holding a state_dict, without
 * Python and without running anything from the file. Only the zip directory and `data.pkl`
 * are read up front; each tensor's bytes are read when asked for, with one positioned read.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename } from 'node:path';
import { MslensError, throwIfAborted } from '../../errors.ts';
import { DTYPE_BYTES, isContiguous, numelOf, viewExtent, viewToFloat32, type TensorDtype } from './tensor-data.ts';
import { ForbiddenGlobalError, StorageRecord, TensorRecord, stateDictHooks } from './torch-pickle.ts';
import { PickleError, PyDict, type PickleValue } from './pickle-values.ts';
import { unpickle } from './unpickler.ts';
import { ZipFormatError, entryDataOffset, readExactly, readZipDirectory, type ZipDirectory, type ZipEntry } from './zip-directory.ts';

export interface TensorInfo {
  readonly dtype: TensorDtype;
  /** [] for a 0-dim tensor (a scalar such as `logit_scale`). */
  readonly shape: readonly number[];
  /** In elements, one per dimension. */
  readonly strides: readonly number[];
  /** In elements, from the start of the storage. */
  readonly storageOffset: number;
  /** The storage record this tensor views; keys with the same record alias the same data. */
  readonly storageKey: string;
  readonly numel: number;
}

export interface Checkpoint {
  readonly path: string;
  /** Tensor names in file order. Nested dicts are flattened with `.`. */
  keys(): string[];
  has(key: string): boolean;
  /** Throws BAD_ARGUMENT for an unknown key. */
  info(key: string): TensorInfo;
  /** The tensor as contiguous row-major float32 (float16/bfloat16 are widened exactly). */
  readFloat32(key: string, signal?: AbortSignal): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Refuse a data.pkl larger than this: a state_dict's pickle is kilobytes, not gigabytes. */
const MAX_PICKLE_BYTES = 256 * 1024 * 1024;
/** Nested dicts (e.g. `{'state_dict': {...}}`) are flattened down to this depth. */
const MAX_NESTING = 32;

const ZIP_MAGIC = 0x04034b50;
const PICKLE_PROTO = 0x80;

function loadError(path: string, message: string, cause?: unknown): MslensError {
  return new MslensError('MODEL_LOAD_FAILED', message, { path }, cause === undefined ? undefined : { cause });
}

function describeZipError(path: string, err: ZipFormatError): MslensError {
  const name = basename(path);
  if (err.truncated) {
    return loadError(path, `${name} is incomplete (${err.message}). The download was probably cut short: download the checkpoint again.`, err);
  }
  return loadError(path, `${name} is not a readable PyTorch checkpoint: ${err.message}. Use a file saved with torch.save.`, err);
}

/** Why a file without a zip directory cannot be read: truncated zip, old torch format, or something else. */
async function describeNonZip(fh: FileHandle, path: string, fileSize: number, err: ZipFormatError): Promise<MslensError> {
  const name = basename(path);
  const head = fileSize >= 4 ? await readExactly(fh, 0, 4) : new Uint8Array(0);
  const magic = head.length === 4 ? new DataView(head.buffer).getUint32(0, true) : -1;
  if (magic === ZIP_MAGIC) {
    return loadError(path, `${name} is incomplete: it starts like a PyTorch checkpoint but its end is missing. The download was probably cut short: download it again.`, err);
  }
  if (head[0] === PICKLE_PROTO) {
    return loadError(path, `${name} uses the legacy PyTorch format (before torch 1.6), which mslens does not read. Re-save it with a current torch.save, or use the zip-format file.`, err);
  }
  return loadError(path, `${name} is not a PyTorch checkpoint (it is not a torch.save zip archive). Pick the .pt/.pth/.bin file that holds the model weights.`, err);
}

function findPickle(dir: ZipDirectory, path: string): { entry: ZipEntry; top: string } {
  const found = dir.entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (found.length !== 1) {
    const what = found.length === 0 ? 'has no data.pkl record' : 'has several data.pkl records';
    throw loadError(path, `${basename(path)} is a zip archive but not a PyTorch checkpoint: it ${what}. Use a file saved with torch.save.`);
  }
  const top = found[0].name.slice(0, -'data.pkl'.length);
  if (dir.get(`${top}constants.pkl`)) {
    throw loadError(path, `${basename(path)} is a TorchScript model (torch.jit.save), not a state_dict. mslens never runs model code: use the checkpoint that holds only the weights (a state_dict .pt/.pth/.bin).`);
  }
  return { entry: found[0], top };
}

async function readSmallEntry(fh: FileHandle, dir: ZipDirectory, entry: ZipEntry, limit: number): Promise<Uint8Array> {
  if (entry.uncompressedSize > limit) throw new ZipFormatError(`${entry.name} is ${entry.uncompressedSize} bytes, too large for this record`);
  const start = await entryDataOffset(fh, dir, entry);
  return readExactly(fh, start, entry.uncompressedSize);
}

function collectTensors(root: PickleValue, path: string): Map<string, TensorRecord> {
  const name = basename(path);
  if (!(root instanceof PyDict)) {
    throw loadError(path, `${name} does not hold a state_dict (a dict of tensors). If it is a whole pickled model, save model.state_dict() instead.`);
  }
  const tensors = new Map<string, TensorRecord>();
  const visiting = new Set<PyDict>();
  const walk = (dict: PyDict, prefix: string): void => {
    if (visiting.has(dict) || visiting.size >= MAX_NESTING) {
      throw loadError(path, `${name} is not a plain state_dict: its dicts nest too deeply or contain themselves.`);
    }
    visiting.add(dict);
    for (const [k, v] of dict.entries) {
      const key = prefix + String(k);
      if (v instanceof TensorRecord) tensors.set(key, v);
      else if (v instanceof PyDict) walk(v, `${key}.`);
      // other values (epoch numbers, names, None) are not weights
    }
    visiting.delete(dict);
  };
  walk(root, '');
  if (tensors.size === 0) throw loadError(path, `${name} holds no tensors, so it has no model weights to load.`);
  return tensors;
}

function checkRecords(
  tensors: Map<string, TensorRecord>,
  storages: Map<string, StorageRecord>,
  dir: ZipDirectory,
  top: string,
  path: string,
): Map<string, ZipEntry> {
  const name = basename(path);
  const entries = new Map<string, ZipEntry>();
  for (const s of storages.values()) {
    const entry = dir.get(`${top}data/${s.key}`);
    if (!entry) {
      throw loadError(path, `${name} is incomplete: tensor data record ${s.key} is missing. Download the checkpoint again.`);
    }
    const bytes = s.numel * DTYPE_BYTES[s.dtype];
    if (entry.uncompressedSize < bytes) {
      throw loadError(path, `${name} is damaged: tensor data record ${s.key} holds ${entry.uncompressedSize} bytes but needs ${bytes}. Download the checkpoint again.`);
    }
    entries.set(s.key, entry);
  }
  for (const [key, t] of tensors) {
    const extent = viewExtent(t.shape, t.strides, t.storageOffset);
    if (extent && extent.last >= t.storage.numel) {
      throw loadError(path, `${name} is damaged: tensor ${key} reaches past the end of its data. Download the checkpoint again.`);
    }
  }
  return entries;
}

/** Opens a checkpoint. Errors are MslensError MODEL_LOAD_FAILED with a message for the user. */
export async function openCheckpoint(path: string, signal?: AbortSignal): Promise<Checkpoint> {
  throwIfAborted(signal);
  if (endianness() !== 'LE') throw new MslensError('INTERNAL', 'mslens reads checkpoints on little-endian machines only.');
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' || code === 'EPERM' ? 'cannot be read (permission denied)' : code === 'EISDIR' ? 'is a folder, not a file' : 'cannot be opened';
    throw loadError(path, `${path} ${why}. Check the path to the checkpoint.`, err);
  }
  try {
    return await readCheckpoint(fh, path, signal);
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
}

async function readCheckpoint(fh: FileHandle, path: string, signal: AbortSignal | undefined): Promise<Checkpoint> {
  const name = basename(path);
  const stat = await fh.stat();
  if (!stat.isFile()) throw loadError(path, `${path} is a folder or device, not a checkpoint file. Pick the .pt/.pth/.bin file itself.`);
  const fileSize = stat.size;

  let dir: ZipDirectory;
  try {
    dir = await readZipDirectory(fh, fileSize);
  } catch (err) {
    if (err instanceof ZipFormatError) {
      throw err.truncated ? describeZipError(path, err) : await describeNonZip(fh, path, fileSize, err);
    }
    throw err;
  }
  throwIfAborted(signal);

  const { entry: pickleEntry, top } = findPickle(dir, path);
  const storages = new Map<string, StorageRecord>();
  let root: PickleValue;
  try {
    const byteorder = dir.get(`${top}byteorder`);
    if (byteorder) {
      const order = new TextDecoder().decode(await readSmallEntry(fh, dir, byteorder, 64)).trim();
      if (order !== 'little') throw loadError(path, `${name} was saved on a ${order}-endian machine; mslens reads little-endian checkpoints only.`);
    }
    const pickle = await readSmallEntry(fh, dir, pickleEntry, MAX_PICKLE_BYTES);
    root = unpickle(pickle, stateDictHooks(storages));
  } catch (err) {
    if (err instanceof ForbiddenGlobalError) {
      throw loadError(path, `${name} contains ${err.qualifiedName}, which is not a plain PyTorch state_dict; mslens only loads state_dicts and never runs code from a checkpoint.`, err);
    }
    if (err instanceof PickleError) throw loadError(path, `${name} is not a readable state_dict: ${err.message}.`, err);
    if (err instanceof ZipFormatError) throw describeZipError(path, err);
    throw err;
  }

  const tensors = collectTensors(root, path);
  const entries = checkRecords(tensors, storages, dir, top, path);
  const dataStarts = new Map<string, Promise<number>>();
  let closed = false;

  const record = (key: string): TensorRecord => {
    const t = tensors.get(key);
    if (!t) throw new MslensError('BAD_ARGUMENT', `${name} has no tensor named ${key}.`, { path, key });
    return t;
  };

  const dataStart = (s: StorageRecord): Promise<number> => {
    let p = dataStarts.get(s.key);
    if (!p) {
      const entry = entries.get(s.key) as ZipEntry;
      p = entryDataOffset(fh, dir, entry);
      dataStarts.set(s.key, p);
      p.catch(() => dataStarts.delete(s.key));
    }
    return p;
  };

  return {
    path,
    keys: () => [...tensors.keys()],
    has: (key) => tensors.has(key),
    info(key) {
      const t = record(key);
      return {
        dtype: t.storage.dtype,
        shape: [...t.shape],
        strides: [...t.strides],
        storageOffset: t.storageOffset,
        storageKey: t.storage.key,
        numel: numelOf(t.shape),
      };
    },
    async readFloat32(key, sig) {
      const t = record(key);
      if (closed) throw new MslensError('BAD_ARGUMENT', `${name} was already closed; open it again to read ${key}.`, { path, key });
      throwIfAborted(sig);
      const extent = viewExtent(t.shape, t.strides, t.storageOffset);
      if (!extent) return new Float32Array(0);
      const es = DTYPE_BYTES[t.storage.dtype];
      const count = extent.last - extent.first + 1;
      try {
        const start = (await dataStart(t.storage)) + extent.first * es;
        if (t.storage.dtype === 'float32' && isContiguous(t.shape, t.strides)) {
          const out = new Float32Array(count);
          await readExactly(fh, start, count * 4, new Uint8Array(out.buffer));
          return out;
        }
        const raw = new ArrayBuffer(count * es);
        await readExactly(fh, start, count * es, new Uint8Array(raw));
        return viewToFloat32(raw, t.storage.dtype, t.shape, t.strides, t.storageOffset, extent.first);
      } catch (err) {
        if (err instanceof ZipFormatError) throw describeZipError(path, err);
        throw err;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}
