/**
 * The one data folder for models, the index cache and settings. By default it is the folder
 * Electron's app.getPath('userData') gives for an app named "mslens"; MSLENS_HOME overrides it.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface DataHome {
  root: string;
  models: string;
  indexes: string;
  downloads: string;
  settings: string;
}

export function platformAppData(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return env.APPDATA ?? join(homedir(), 'AppData', 'Roaming');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support');
  return env.XDG_CONFIG_HOME || join(homedir(), '.config');
}

export function resolveDataHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): DataHome {
  const root = env.MSLENS_HOME || join(platformAppData(env, platform), 'mslens');
  return {
    root,
    models: join(root, 'models'),
    indexes: join(root, 'indexes'),
    downloads: join(root, 'downloads'),
    settings: join(root, 'settings.json'),
  };
}
