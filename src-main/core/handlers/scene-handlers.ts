/** Scenes: the demo generator, opening a scene to describe it, and the imagery the map reads for it. */
import { join, resolve } from 'node:path';
import { sceneImagery } from '../app/scene-preview.ts';
import { sceneIdOf } from '../index/build-index.ts';
import { footprintBbox } from '../index/wkb.ts';
import { writeDemoScene } from '../scene/demo/demo-scene.ts';
import { openScene, resolveSceneLocation } from '../scene/open-scene.ts';
import { makeFootprinter, makeTileGrid } from '../tiles/tile-grid.ts';
import type { Handlers } from '../api.ts';
import type { HandlerContext } from './handler-context.ts';

export function sceneHandlers(c: HandlerContext): Pick<Handlers, 'makeDemo' | 'openScene' | 'sceneImagery'> {
  return {
    async makeDemo(arg, ctx) {
      const size = arg.size ?? 2240;
      const outDir = resolve(arg.outDir ?? join(c.deps.home.root, 'demo'));
      const res = await writeDemoScene({
        outDir, size, seed: arg.seed, signal: ctx.signal,
        onProgress: (done, total) => c.progress(ctx, 'makeDemo', 'Writing the demo scene', done, total),
      });
      return { scenePath: res.scenePath, truthPath: res.truthPath, size, legend: res.legend };
    },

    async openScene(arg, ctx) {
      const path = resolveSceneLocation(c.userPath(arg.path));
      const source = await openScene(path, ctx.signal);
      try {
        const i = source.info;
        const grid = makeTileGrid(i, { size: arg.tile, stride: arg.stride });
        const t = i.transform;
        const bbox = footprintBbox(makeFootprinter(i.crs, t)({ x: 0, y: 0, width: i.width, height: i.height }))!;
        return {
          path, sceneId: sceneIdOf(arg.path), width: i.width, height: i.height, bands: [...i.bands],
          sampleType: i.sampleType, nodata: i.nodata, crs: i.crs, transform: [...t],
          bbox,
          date: i.date ?? null, mgrsTile: i.tile ?? null, radiometricOffset: i.radiometricOffset,
          tiles: { size: grid.size, rows: grid.rows, cols: grid.cols, count: grid.count },
        };
      } finally {
        await source.close();
      }
    },

    sceneImagery: (arg, ctx) => sceneImagery(resolveSceneLocation(c.userPath(arg.path)), {
      cacheDir: join(c.deps.home.root, 'previews'),
      signal: ctx.signal,
      onProgress: (done, total) => c.progress(ctx, 'sceneImagery', 'Preparing the map preview', done, total),
    }),
  };
}
