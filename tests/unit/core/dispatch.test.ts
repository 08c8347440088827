// Every api.ts operation through dispatch: argument validation, and errors mapped to codes.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, type OpName } from '../../../src-main/core/api.ts';
import { dispatch } from '../../../src-main/core/dispatch.ts';
import type { Handlers } from '../../../src-main/core/api.ts';
import { makeHarness, type Harness } from '../../helpers/harness.ts';
import { fixture } from '../../helpers/fixtures.ts';

let h: Harness;
let index: string;
const CHIP = fixture('msclip-examples', '609U_541L_3_0.tif');

beforeAll(async () => {
  h = await makeHarness();
  index = (await h.ok('buildIndex', { scene: CHIP })).path;
});
afterAll(() => h.cleanup());

/** One bad argument per operation, and the message it must produce. */
const BAD: Record<OpName, [unknown, RegExp]> = {
  listModels: [{ extra: 1 }, /unrecognized key/i],
  makeDemo: [{ size: 50 }, /size/],
  openScene: [{ path: '' }, /path: needs a path/],
  buildIndex: [{ scene: 'x.tif', minValid: 2 }, /minValid/],
  openIndex: [{}, /index/],
  search: [{ index: 'a.parquet', text: '' }, /query is empty/],
  classify: [{ index: 'a.parquet', classes: ['water'] }, /at least two classes/],
  checkClasses: [{ classes: [] }, /at least one class/],
  similar: [{ index: 'a.parquet', tile: 'tile-7' }, /takes a tile id like r003c007/],
  installModel: [{ id: 'llama3-ms-clip', url: 'not a url' }, /url/i],
  importModel: [{ checkpoint: 'a.pt', config: 'c.json', id: 'Bad Id' }, /lower-case/],
  embedText: [{ texts: [] }, /at least one text/],
  embedImage: [{ files: [] }, /at least one image/],
  updateSettings: [{}, /name a setting/],
  // — app —
  cancelJob: [{ jobId: 'x' }, /job id/],
  appState: [{ extra: 1 }, /unrecognized key/i],
  saveAppState: [{ recent: { queries: [''] } }, /queries/],
  sceneStretch: [{ path: '' }, /path: needs a path/],
  sceneImagery: [{ path: '' }, /path: needs a path/],
  exportGeoJson: [{ index: 'a.parquet', features: [{ tile: 'tile-7', properties: {} }] }, /takes a tile id like r003c007/],
  chooseFile: [{ purpose: 'scene', defaultName: '../x' }, /a file name, not a path/],
};

describe('validation', () => {
  test('every operation has a validation case here', () => {
    expect(Object.keys(BAD).sort()).toEqual(Object.keys(api).sort());
  });
  test.each(Object.entries(BAD))('%s rejects a bad argument with BAD_ARGUMENT', async (name, [arg, message]) => {
    const r = await h.call(name as OpName, arg as Record<string, unknown>);
    if (r.ok) throw new Error('expected an error');
    expect(r.error.code).toBe('BAD_ARGUMENT');
    expect(r.error.message).toMatch(message);
  });
});

describe('error mapping', () => {
  test('an unknown query names the open-vocabulary model', async () => {
    const r = await h.call('search', { index, text: 'solar farm' });
    if (r.ok) throw new Error('expected an error');
    expect(r.error.code).toBe('QUERY_NOT_UNDERSTOOD');
    expect(r.error.message).toMatch(/needs the Llama3-MS-CLIP model\.$/);
    expect(r.error.action).toEqual({ kind: 'install-model', model: 'llama3-ms-clip' });
  });
  test('a missing index is NOT_FOUND, a non-index file is INDEX_UNREADABLE', async () => {
    const missing = await h.call('search', { index: '/nonexistent/x.parquet', text: 'water' });
    expect(!missing.ok && missing.error.code).toBe('NOT_FOUND');
    const notIndex = await h.call('search', { index: CHIP, text: 'water' });
    expect(!notIndex.ok && notIndex.error.code).toBe('INDEX_UNREADABLE');
  });
  test('an uninstalled model is MODEL_NOT_INSTALLED with the install command', async () => {
    const r = await h.call('buildIndex', { scene: CHIP, model: 'llama3-ms-clip' });
    if (r.ok) throw new Error('expected an error');
    expect(r.error.code).toBe('MODEL_NOT_INSTALLED');
    expect(r.error.action).toEqual({ kind: 'install-model', model: 'llama3-ms-clip' });
  });
  test('an unknown tile is BAD_ARGUMENT', async () => {
    const r = await h.call('similar', { index, tile: 'r009c009' });
    expect(!r.ok && r.error.code).toBe('BAD_ARGUMENT');
  });
  test('a bug inside a handler becomes INTERNAL with a generic message, and is logged', async () => {
    const logged: unknown[] = [];
    const broken = { listModels: async () => { throw new TypeError('x is undefined'); } } as unknown as Handlers;
    const r = await dispatch(broken, 'listModels', {}, {}, (e) => logged.push(e));
    expect(r).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'Something went wrong inside mslens; details are in the log.', detail: {} } });
    expect(logged).toHaveLength(1);
  });
});

describe('operations', () => {
  test('listModels lists the built-in model as default, and the providers with CPU last', async () => {
    const r = await h.ok('listModels', {});
    const builtIn = r.models.find((m) => m.id === 'mslens-spectral')!;
    expect(builtIn).toMatchObject({ builtIn: true, isDefault: true, embeddingDim: 8 });
    expect(r.providers.candidates.at(-1)).toBe('cpu');
  });
  test('openIndex describes the index and its tiles', async () => {
    const r = await h.ok('openIndex', { index });
    expect(r).toMatchObject({ modelId: 'mslens-spectral', tilesIndexed: 1, tiling: { size: 224, stride: 224 } });
    expect(r.tiles[0].tile).toBe('r000c000');
  });
});
