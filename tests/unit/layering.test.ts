// core/ stays plain Node: no Electron, no fronts, no renderer (import(), require() included).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { REPO } from '../helpers/harness.ts';

const BAD = /(?:from\s*|import\s*\(\s*|require\(\s*)['"](?:electron(?:\/[^'"]*)?|svelte(?:\/[^'"]*)?|ol(?:\/[^'"]*)?|[^'"]*\/(?:electron|server|cli|src-renderer)\/[^'"]*)['"]/;

test('core/ stays free of Electron, fronts and renderer', () => {
  const core = join(REPO, 'src-main/core');
  const files = readdirSync(core, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(20);
  expect(files.filter((f) => BAD.test(readFileSync(join(core, f), 'utf8')))).toEqual([]);
});

test('api.ts imports only zod and types, so the renderer can use it', () => {
  const src = readFileSync(join(REPO, 'src-main/core/api.ts'), 'utf8');
  const imports = [...src.matchAll(/^import\s+(type\s+)?.*?from\s+'([^']+)'/gm)];
  expect(imports.filter(([, isType, from]) => !isType && from !== 'zod')).toEqual([]);
});
