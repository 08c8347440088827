// The renderer knows the main process only through api.ts's types (the `$api` alias) and calls
// it only through lib/api-client.ts; nothing from src-main is bundled into the page.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { REPO } from '../helpers/harness.ts';

const dir = join(REPO, 'src-renderer');
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(ts|svelte)$/.test(f));
const source = (f: string): string => readFileSync(join(dir, f), 'utf8');

test('$api is imported for types only', () => {
  expect(files.length).toBeGreaterThan(20);
  const valueImports = files.filter((f) => /import\s+(?!type\b)[^;]*from\s*['"]\$api['"]/.test(source(f)));
  expect(valueImports).toEqual([]);
});

test('nothing imports from src-main, electron or Node', () => {
  const bad = /(?:from\s*|import\s*\(\s*|require\(\s*)['"](?:[^'"]*src-main[^'"]*|electron(?:\/[^'"]*)?|node:[^'"]+)['"]/;
  expect(files.filter((f) => bad.test(source(f)))).toEqual([]);
});

test('only the API client talks to a transport', () => {
  const talkers = files.filter((f) => /window\.mslens|fetch\(\s*`\/api|new EventSource/.test(source(f)));
  expect(talkers.sort()).toEqual(['lib/api-client.ts', 'lib/transports.ts']);
});
