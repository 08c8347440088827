import { defaultBuiltInModelsDir } from '../../src-main/core/app-paths.ts';
import { resolveDataHome } from '../../src-main/core/data-home.ts';
import { dispatch } from '../../src-main/core/dispatch.ts';
import { createHandlers } from '../../src-main/core/handlers/index.ts';

const [scene, home, model] = process.argv.slice(2);
const handlers = createHandlers({ home: resolveDataHome({ MSLENS_HOME: home }), builtInModels: defaultBuiltInModelsDir() });
const t = performance.now();
const r = await dispatch(handlers, 'buildIndex', { scene, ...(model ? { model } : {}) });
if (!r.ok) throw new Error(r.error.message);
const seconds = (performance.now() - t) / 1000;
console.log(JSON.stringify({ tiles: r.value.tilesTotal, seconds, tilesPerSecond: r.value.tilesTotal / seconds, peakMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
