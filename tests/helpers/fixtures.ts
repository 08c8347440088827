/**
 * Where the vendored reference fixtures live: `tests/fixtures/` in this repository (see its
 * README for provenance and licences). MSLENS_SHARED_FIXTURES may name another folder of the
 * same layout as an override; nothing outside the repository is ever required.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = process.env.MSLENS_SHARED_FIXTURES
  ? resolve(process.env.MSLENS_SHARED_FIXTURES)
  : fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Path of a file under the fixtures folder. */
export function fixture(...parts: string[]): string {
  return resolve(FIXTURES, ...parts);
}

/** A JSON file under the fixtures folder, parsed. */
export function readFixtureJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(fixture(...parts), 'utf8')) as T;
}
