/**
 * Where the shared reference fixtures live: `../shared/fixtures` next to the repository root
 * (DESIGN.md), or the folder named by MSLENS_SHARED_FIXTURES. Tests read them in place.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const SHARED_FIXTURES = process.env.MSLENS_SHARED_FIXTURES
  ? resolve(process.env.MSLENS_SHARED_FIXTURES)
  : resolve(REPO_ROOT, '../shared/fixtures');

/** Path of a file under the shared fixtures folder. */
export function sharedFixture(...parts: string[]): string {
  return resolve(SHARED_FIXTURES, ...parts);
}

/** A JSON file under the shared fixtures folder, parsed. */
export function readSharedJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(sharedFixture(...parts), 'utf8')) as T;
}
