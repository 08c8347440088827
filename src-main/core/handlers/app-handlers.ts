/** The app's own operations: jobs, remembered state, the true-colour stretch, GeoJSON export, file choice. */
import { readAppState, saveAppState } from '../app/app-state.ts';
import { sceneStretch } from '../app/scene-stretch.ts';
import { tilesToGeoJson, writeGeoJson } from '../export/geojson.ts';
import { findTile } from '../index/index-collection.ts';
import { resolveSceneLocation } from '../scene/open-scene.ts';
import type { Handlers } from '../api.ts';
import type { HandlerContext } from './handler-context.ts';

type AppOps = 'cancelJob' | 'appState' | 'saveAppState' | 'sceneStretch' | 'exportGeoJson' | 'chooseFile';

export function appHandlers(c: HandlerContext): Pick<Handlers, AppOps> {
  return {
    async cancelJob(arg, ctx) {
      return { cancelled: ctx.jobs?.cancel(arg.jobId) ?? false };
    },

    appState: () => readAppState(c.deps.home),

    saveAppState: (arg) => saveAppState(c.deps.home, arg.recent),

    sceneStretch: (arg, ctx) => sceneStretch(resolveSceneLocation(arg.path), {}, ctx.signal),

    async exportGeoJson(arg) {
      const { index, model } = await c.loadIndex(arg.index);
      const rows = arg.features.map((f) => ({ index: findTile(index.tiles, f.tile), properties: f.properties }));
      const fc = tilesToGeoJson(index, model.manifest.id, rows);
      if (!arg.out) return { count: rows.length, path: null, featureCollection: fc };
      return { count: rows.length, path: await writeGeoJson(arg.out, fc), featureCollection: null };
    },

    // Only the desktop front has a file dialog; it replaces this handler with one that opens it.
    chooseFile: async () => ({ supported: false, path: null }),
  };
}
