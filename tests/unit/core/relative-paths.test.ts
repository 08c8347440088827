// Where a relative path starts from: the CLI's working folder, which its user chose; refused with
// the full path to give in the desktop app and web mode, whose working folder means nothing to
// their user. Scenes, imagery and indexes follow the same rule.
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dispatch } from '../../../src-main/core/dispatch.ts';
import { createHandlers } from '../../../src-main/core/handlers/index.ts';
import { resolveDataHome } from '../../../src-main/core/data-home.ts';
import { defaultBuiltInModelsDir } from '../../../src-main/core/app-paths.ts';
import { fixture } from '../../helpers/fixtures.ts';

let home: string;
const CHIP = fixture('msclip-examples', '609U_541L_3_0.tif');
const handlersFor = (relativePaths: 'cwd' | 'refuse') =>
  createHandlers({ home: resolveDataHome({ MSLENS_HOME: home }), builtInModels: defaultBuiltInModelsDir(), relativePaths });

beforeAll(async () => { home = await mkdtemp(join(tmpdir(), 'mslens-paths-')); });
afterAll(() => rm(home, { recursive: true, force: true }));

describe('relative paths', () => {
  test('where they are refused, the message gives the full path to type, under the home folder', async () => {
    const h = handlersFor('refuse');
    for (const [op, arg] of [['openScene', { path: 'data/scene.tif' }], ['sceneImagery', { path: 'data/scene.tif' }], ['openIndex', { index: 'data/scene.parquet' }]] as const) {
      const r = await dispatch(h, op, arg);
      if (r.ok) throw new Error(`${op} accepted a relative path`);
      expect(r.error.code).toBe('BAD_ARGUMENT');
      expect(r.error.message).toMatch(/is a relative path, and mslens can't tell which folder it starts from\. Give the full path, e\.g\. /);
      expect(r.error.message).toContain(join(homedir(), 'data'));
    }
    const tilde = await dispatch(h, 'openScene', { path: '~/s2/scene.tif' });
    expect(!tilde.ok && tilde.error.message).toContain(join(homedir(), 's2', 'scene.tif'));
  });

  test('absolute paths open the same way under both rules', async () => {
    for (const rule of ['refuse', 'cwd'] as const) {
      const r = await dispatch(handlersFor(rule), 'openScene', { path: CHIP });
      expect(r.ok && r.value.path).toBe(CHIP);
    }
  });

  test('the CLI rule reads them against the working folder', async () => {
    const r = await dispatch(handlersFor('cwd'), 'openScene', { path: relative(process.cwd(), CHIP) });
    expect(r.ok && r.value.path).toBe(CHIP);
  });
});
