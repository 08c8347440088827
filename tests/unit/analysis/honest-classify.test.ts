// Classify is honest about what the built-in model can't do: with the EuroSAT classes it says
// which ones it can't tell apart and which of its concepts no class names, and labels the snow
// and town tiles "uncertain" instead of "river" and "highway". Classes it has no concept for are
// refused in classify's words. Checked on the demo scene against its ground truth.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isUncertain } from '../../../src-main/core/analysis/zero-shot.ts';
import { DEMO_CLASSES } from '../../../src-main/core/scene/demo/demo-scene.ts';
import { demoScene, makeHarness, truthFractions, type Harness } from '../../helpers/harness.ts';

const EUROSAT = ['annual crop', 'forest', 'herbaceous vegetation', 'highway', 'industrial', 'pasture', 'permanent crop', 'residential', 'river', 'sea or lake'];
let h: Harness;
let index: string;
let truth: Map<string, number[]>;
const share = (tile: string, cls: string): number => truth.get(tile)![DEMO_CLASSES.findIndex((c) => c.name === cls)];

beforeAll(async () => {
  h = await makeHarness();
  const demo = await demoScene(2240);
  truth = await truthFractions(demo.truthPath);
  index = (await h.ok('buildIndex', { scene: demo.scenePath })).path;
}, 180_000);
afterAll(() => h.cleanup());

describe('uncertain tiles', () => {
  test('near-uniform and tied probabilities pick no class; a clear winner does', () => {
    expect(isUncertain(Array(10).fill(0.1))).toBe(true);
    expect(isUncertain([0.34, 0.335, 0.325])).toBe(true);
    expect(isUncertain([0.45, 0.45, 0.1])).toBe(true);
    expect(isUncertain([0.7, 0.2, 0.1])).toBe(false);
    expect(isUncertain([0.9, 0.1])).toBe(false);
  });
});

describe('the built-in model with the EuroSAT classes', () => {
  test('checkClasses names the classes it can\'t tell apart and the concepts no class names', async () => {
    const c = await h.ok('checkClasses', { classes: EUROSAT });
    expect(c.unknown).toEqual([]);
    expect(c.indistinct).toEqual([
      ['annual crop', 'herbaceous vegetation', 'pasture', 'permanent crop'],
      ['highway', 'industrial', 'residential'],
      ['river', 'sea or lake'],
    ]);
    expect(c.uncovered).toEqual(['bare', 'snow', 'cloud', 'burned']);
    expect(c.notes.join('\n')).toMatch(/can't tell "highway", "industrial" and "residential" apart/);
    expect(c.notes.join('\n')).toMatch(/No class names bare, snow, cloud, burned/);
  });

  test('snow and town tiles come out uncertain, not "river" and "highway"; clear forest stays forest', async () => {
    const r = await h.ok('classify', { index, classes: EUROSAT });
    expect(r.check.indistinct).toHaveLength(3);
    const snow = r.tiles.filter((t) => share(t.tile, 'snow') > 0.9);
    const town = r.tiles.filter((t) => share(t.tile, 'built-up') > 0.9);
    const forest = r.tiles.filter((t) => share(t.tile, 'forest') > 0.9);
    expect(snow.length).toBeGreaterThan(3);
    expect(town.length).toBeGreaterThan(0);
    expect(forest.length).toBeGreaterThan(3);
    expect(snow.map((t) => t.label)).toEqual(snow.map(() => 'uncertain'));
    expect(town.map((t) => t.label)).toEqual(town.map(() => 'uncertain'));
    expect(forest.filter((t) => t.label === 'forest').length / forest.length).toBeGreaterThanOrEqual(0.9);
    expect(r.counts.uncertain).toBe(r.tiles.filter((t) => t.label === 'uncertain').length);
    expect(Object.values(r.counts).reduce((a, b) => a + b, 0)).toBe(r.tiles.length);
  });

  test('a class it has no concept for is named before running, and classify refuses it in its own words', async () => {
    const c = await h.ok('checkClasses', { classes: ['water', 'solar farm'] });
    expect(c.unknown).toEqual(['solar farm']);
    expect(c.notes[0]).toMatch(/has no concept for "solar farm": it knows water, forest/);
    const r = await h.call('classify', { index, classes: ['water', 'solar farm'] });
    if (r.ok) throw new Error('expected an error');
    expect(r.error.code).toBe('QUERY_NOT_UNDERSTOOD');
    expect(r.error.message).toMatch(/no concept for "solar farm".*classify with the Llama3-MS-CLIP model/);
    expect(r.error.message).not.toMatch(/search/);
  });
});
