// Accuracy of the built-in model on the demo scene against its ground truth, through dispatch.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEMO_CLASSES } from '../../../src-main/core/scene/demo/demo-scene.ts';
import { demoScene, makeHarness, truthFractions, type Harness } from '../../helpers/harness.ts';

let h: Harness;
let index: string;
let truth: Map<string, number[]>;
const majority = (f: number[]): string => DEMO_CLASSES[f.indexOf(Math.max(...f))].name;
const CLASSES = ['water', 'forest', 'cropland', 'built-up', 'snow'];

beforeAll(async () => {
  h = await makeHarness();
  const demo = await demoScene(2240);
  truth = await truthFractions(demo.truthPath);
  index = (await h.ok('buildIndex', { scene: demo.scenePath })).path;
});
afterAll(() => h.cleanup());

describe('search on the demo scene', () => {
  test.each(CLASSES)('top-10 for "%s" is mostly that class (precision@10 ≥ 0.9)', async (cls) => {
    const r = await h.ok('search', { index, text: cls, topK: 10 });
    expect(r.results).toHaveLength(10);
    const correct = r.results.filter((hit) => majority(truth.get(hit.tile)!) === cls).length;
    expect(correct / 10).toBeGreaterThanOrEqual(0.9);
    const scores = r.results.map((x) => x.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  test('synonyms reach the same concept', async () => {
    const a = await h.ok('search', { index, text: 'lake', topK: 5 });
    const b = await h.ok('search', { index, text: 'water', topK: 5 });
    expect(a.results.map((x) => x.tile)).toEqual(b.results.map((x) => x.tile));
  });
});

describe('classify on the demo scene', () => {
  test('labels at least 80 % of tiles with their ground-truth majority class', async () => {
    const r = await h.ok('classify', { index, classes: CLASSES });
    const agree = r.tiles.filter((t) => t.label === majority(truth.get(t.tile)!)).length;
    const accuracy = agree / r.tiles.length;
    console.log(`classify accuracy on ${r.tiles.length} demo tiles: ${(accuracy * 100).toFixed(1)} %`);
    expect(accuracy).toBeGreaterThanOrEqual(0.8);
    for (const t of r.tiles) {
      const total = Object.values(t.probs).reduce((s, p) => s + p, 0);
      expect(total).toBeCloseTo(1, 4);
      expect(Object.keys(t.probs)).toEqual(CLASSES);
    }
  });
});

describe('find similar on the demo scene', () => {
  test('tiles like a snow tile are snow, and the example itself is excluded', async () => {
    const snow = (await h.ok('search', { index, text: 'snow', topK: 1 })).results[0].tile;
    const r = await h.ok('similar', { index, tile: snow, topK: 8 });
    expect(r.results.map((x) => x.tile)).not.toContain(snow);
    const correct = r.results.filter((x) => majority(truth.get(x.tile)!) === 'snow').length;
    expect(correct).toBeGreaterThanOrEqual(7);
  });

  test('a negative example pushes its class down', async () => {
    const water = (await h.ok('search', { index, text: 'water', topK: 1 })).results[0].tile;
    const forest = (await h.ok('search', { index, text: 'forest', topK: 1 })).results[0].tile;
    const plain = await h.ok('similar', { index, tile: water, topK: 30, allScores: true });
    const refined = await h.ok('similar', { index, tile: water, negative: [forest], topK: 30, allScores: true });
    const forestTiles = [...truth].filter(([, f]) => majority(f) === 'forest').map(([id]) => id);
    const mean = (r: typeof plain): number => {
      const s = r.allScores!.filter((x) => forestTiles.includes(x.tile)).map((x) => x.score);
      return s.reduce((a, b) => a + b, 0) / s.length;
    };
    expect(mean(refined)).toBeLessThan(mean(plain));
  });
});
