import { fileURLToPath } from 'node:url';

/** The app's own models/ folder (built-in models), next to package.json when run from source. */
export function defaultBuiltInModelsDir(): string {
  return process.env.MSLENS_BUILTIN_MODELS ?? fileURLToPath(new URL('../../models/', import.meta.url));
}
