// Accuracy of the built-in model against the demo scene's ground truth: precision@10 per
// class for search, and the share of tiles whose zero-shot label is their majority class.
import { rmSync } from 'node:fs';
import { DEMO_CLASSES } from '../../src-main/core/scene/demo/demo-scene.ts';
import { demoScene, makeHarness, truthFractions } from '../helpers/harness.ts';
import { report } from './bench-util.ts';

export async function benchAccuracy(): Promise<void> {
  const h = await makeHarness();
  try {
    const demo = await demoScene(2240);
    const truth = await truthFractions(demo.truthPath);
    const majority = (id: string): string => { const f = truth.get(id)!; return DEMO_CLASSES[f.indexOf(Math.max(...f))].name; };
    const index = (await h.ok('buildIndex', { scene: demo.scenePath })).path;
    const classes = ['water', 'forest', 'cropland', 'built-up', 'snow'];
    const p10: Record<string, number> = {};
    for (const c of classes) {
      const r = await h.ok('search', { index, text: c, topK: 10 });
      p10[c] = r.results.filter((x) => majority(x.tile) === c).length / 10;
    }
    report('demo precision@10 (built-in model)', p10);
    const r = await h.ok('classify', { index, classes });
    const agree = r.tiles.filter((t) => t.label === majority(t.tile)).length;
    report('demo classify agreement', { tiles: r.tiles.length, accuracy: agree / r.tiles.length });
  } finally {
    await h.cleanup();
    rmSync(h.home, { recursive: true, force: true });
  }
}
