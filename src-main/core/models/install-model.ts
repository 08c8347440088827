/**
 * Installing a catalogue model: the licence must be accepted, then the checkpoint is downloaded
 * (or taken from a local file), converted and installed. The download is removed once the
 * model is installed; the converted ONNX files are what the app uses.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DataHome } from '../data-home.ts';
import { MslensError } from '../errors.ts';
import { requireInputFile } from '../input-files.ts';
import { download } from './download.ts';
import { importOpenClipModel } from './import-model.ts';
import type { InstalledModel } from './manifest.ts';
import { CATALOGUE, catalogueEntry, catalogueUrl, type CatalogueEntry } from './model-catalogue.ts';

export interface InstallOptions {
  id: string;
  acceptLicence: boolean;
  /** Another address of the same file (a mirror). */
  url?: string;
  /** A checkpoint already on disk. */
  file?: string;
  home: DataHome;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
}

export function licenceNotice(entry: CatalogueEntry): string {
  return `${entry.name} is licensed under ${entry.licence.id}: ${entry.licence.summary} Full text: ${entry.licence.url}`;
}

export async function installCatalogueModel(opts: InstallOptions): Promise<InstalledModel> {
  const entry = catalogueEntry(opts.id);
  if (!entry) {
    throw new MslensError('BAD_ARGUMENT', `There is no model "${opts.id}" to install; known: ${CATALOGUE.map((e) => e.id).join(', ')}.`, { id: opts.id }, { action: { kind: 'import-model' } });
  }
  // The given file is checked before the licence is asked for: nobody should accept a licence
  // only to learn that the checkpoint is missing or a named pipe.
  if (opts.file) await requireInputFile(resolve(opts.file), { what: 'checkpoint' });
  if (!opts.acceptLicence) {
    throw new MslensError('LICENCE_NOT_ACCEPTED', licenceNotice(entry), { id: entry.id, licence: entry.licence.id, url: entry.licence.url }, { action: { kind: 'accept-licence', model: entry.id } });
  }
  let checkpoint = opts.file ? resolve(opts.file) : '';
  let downloaded = false;
  if (!checkpoint) {
    const res = await download({
      url: opts.url ?? catalogueUrl(entry), dest: join(opts.home.downloads, entry.fileName), sha256: entry.sha256, signal: opts.signal,
      onProgress: (done, total) => opts.onProgress?.(done, total || entry.bytes || 0, `Downloading ${entry.fileName}`),
    });
    checkpoint = res.path;
    downloaded = true;
  }
  const model = await importOpenClipModel({
    checkpoint, config: entry.config, id: entry.id, name: entry.name, description: entry.description,
    licence: { id: entry.licence.id, url: entry.licence.url }, modelsDir: opts.home.models, signal: opts.signal,
    onProgress: opts.onProgress,
  });
  if (downloaded) await rm(checkpoint, { force: true });
  return model;
}
