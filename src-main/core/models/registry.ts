/**
 * The model registry: built-in models ship in the app's models/ folder, installed ones live in
 * <data folder>/models. A folder is a model when it holds a valid manifest.json. A model is
 * handed out for use only after its files matched their recorded hashes (verify-model.ts;
 * what matched is remembered in <data folder>/models/.verified.json).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MslensError } from '../errors.ts';
import { readManifest, type InstalledModel } from './manifest.ts';
import { verifyModelFiles } from './verify-model.ts';

export interface ModelDirs {
  builtIn: string;
  installed: string;
}

async function scan(dir: string, builtIn: boolean): Promise<InstalledModel[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const models: InstalledModel[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const folder = join(dir, e.name);
    try {
      models.push({ manifest: await readManifest(folder), dir: folder, builtIn });
    } catch {
      // A half-installed or foreign folder is not a model; `models list` shows only usable ones.
    }
  }
  return models;
}

export const verifiedStore = (dirs: ModelDirs): string => join(dirs.installed, '.verified.json');

export async function listModels(dirs: ModelDirs): Promise<InstalledModel[]> {
  const all = [...(await scan(dirs.builtIn, true)), ...(await scan(dirs.installed, false))];
  const seen = new Set<string>();
  return all.filter((m) => (seen.has(m.manifest.id) ? false : (seen.add(m.manifest.id), true)));
}

export async function findModel(dirs: ModelDirs, id: string): Promise<InstalledModel> {
  const models = await listModels(dirs);
  const model = models.find((m) => m.manifest.id === id);
  if (!model) {
    const known = models.map((m) => m.manifest.id).join(', ') || 'none';
    const action = id.startsWith('llama3-ms-clip') ? { action: { kind: 'install-model', model: 'llama3-ms-clip' } as const } : undefined;
    throw new MslensError('MODEL_NOT_INSTALLED', `Model "${id}" is not installed (installed: ${known}).`, { model: id }, action);
  }
  await verifyModelFiles(model, { store: verifiedStore(dirs) });
  return model;
}
