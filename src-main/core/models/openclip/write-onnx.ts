/**
 * Writes a built graph as `<name>.onnx` plus `<name>.onnx.data` (ONNX external data),
 * streaming the weights to the data file, and renaming both into place only when complete.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeFileSync, writeSync, fsyncSync } from 'node:fs';
import { basename } from 'node:path';
import type { BuiltGraph } from './build-image-encoder.ts';

export interface WrittenFile {
  /** File name, no directory. */
  file: string;
  sha256: string;
  bytes: number;
}

export interface WrittenModel extends WrittenFile {
  /** The external data file, absent when every weight fit in the .onnx. */
  dataFile?: WrittenFile;
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.byteLength) off += writeSync(fd, chunk, off, chunk.byteLength - off);
}

/**
 * Serialises `built` to `path` (e.g. /x/image-encoder.fp32.onnx). Weights of 1 KiB and more go to
 * `path + '.data'`. Temporary files are removed if anything fails.
 */
export function writeOnnxModel(built: BuiltGraph, path: string): WrittenModel {
  const dataPath = `${path}.data`;
  const tag = `.tmp-${process.pid}-${Date.now().toString(36)}`;
  const tmpModel = path + tag;
  const tmpData = dataPath + tag;
  let fd: number | null = openSync(tmpData, 'w');
  let dataBytes = 0;
  const dataHash = createHash('sha256');
  try {
    const bytes = built.graph.toBytes(built.modelOptions, {
      location: basename(dataPath),
      write: (chunk) => {
        writeAll(fd as number, chunk);
        dataHash.update(chunk);
        dataBytes += chunk.byteLength;
      },
    });
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    writeFileSync(tmpModel, bytes, { flush: true });
    if (dataBytes > 0) renameSync(tmpData, dataPath);
    else {
      rmSync(tmpData, { force: true });
      rmSync(dataPath, { force: true }); // a stale one from an earlier, larger model
    }
    renameSync(tmpModel, path);
    const written: WrittenModel = { file: basename(path), sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength };
    if (dataBytes > 0) written.dataFile = { file: basename(dataPath), sha256: dataHash.digest('hex'), bytes: dataBytes };
    return written;
  } catch (err) {
    if (fd !== null) closeSync(fd);
    rmSync(tmpData, { force: true });
    rmSync(tmpModel, { force: true });
    throw err;
  }
}
