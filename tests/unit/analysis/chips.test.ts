// The built-in model on five real Sentinel-2 L2A chips, searched as one collection.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeHarness, type Harness } from '../../helpers/harness.ts';
import { fixture } from '../../helpers/fixtures.ts';

const CHIPS = ['282D_485L_3_3', '38D_378R_2_3', '433D_629L_3_1', '609U_541L_3_0', '637U_59R_1_3'];
let h: Harness;
let indexes: string[];

beforeAll(async () => {
  h = await makeHarness();
  indexes = [];
  for (const c of CHIPS) indexes.push((await h.ok('buildIndex', { scene: fixture('msclip-examples', `${c}.tif`) })).path);
});
afterAll(() => h.cleanup());

test('water ranks the ocean chip first', async () => {
  const r = await h.ok('search', { index: indexes, text: 'water', topK: 5 });
  expect(r.results[0].sceneId).toBe('282D_485L_3_3');
  expect(r.results).toHaveLength(5);
});

test('snow ranks the snow chip first', async () => {
  const r = await h.ok('search', { index: indexes, text: 'snow', topK: 5 });
  expect(r.results[0].sceneId).toBe('609U_541L_3_0');
});

test('classify gives every chip a label, and the snow chip snow', async () => {
  const r = await h.ok('classify', { index: indexes, classes: ['water', 'forest', 'cropland', 'built-up', 'snow', 'bare'] });
  expect(r.tiles).toHaveLength(5);
  expect(r.tiles.find((t) => t.sceneId === '609U_541L_3_0')!.label).toBe('snow');
});

test('in a collection, similar takes SCENE/TILE and refuses an ambiguous id', async () => {
  const ambiguous = await h.call('similar', { index: indexes, tile: 'r000c000' });
  expect(!ambiguous.ok && ambiguous.error.message).toMatch(/exists in 5 scenes/);
  const r = await h.ok('similar', { index: indexes, tile: '609U_541L_3_0/r000c000', topK: 4 });
  expect(r.results.map((x) => x.sceneId)).not.toContain('609U_541L_3_0');
});
