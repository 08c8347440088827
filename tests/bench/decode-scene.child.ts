// Decode-and-tile a scene through the strip reader (the indexing path without the model):
// every 224 × 224 tile of the 10 model bands copied into a batch buffer. Prints JSON figures.
import { copyTile } from '../../src-main/core/models/preprocess.ts';
import { MODEL_BANDS } from '../../src-main/core/scene/band-table.ts';
import { openScene } from '../../src-main/core/scene/open-scene.ts';
import { openStripReader, type Strip } from '../../src-main/core/scene/strip-reader.ts';
import { makeTileGrid } from '../../src-main/core/tiles/tile-grid.ts';

const [scene, workersArg] = process.argv.slice(2);
const source = await openScene(scene);
const info = source.info;
const grid = makeTileGrid(info, { size: 224, stride: 224 });
const stripWidth = (grid.cols - 1) * grid.stride + grid.size;
const windows = Array.from({ length: grid.rows }, (_, row) => ({ x: 0, y: row * grid.stride, width: stripWidth, height: grid.size }));
const per = MODEL_BANDS.length * grid.size * grid.size;
const batch = new Float32Array(32 * per);
const t = performance.now();
const reader = await openStripReader(scene, windows, MODEL_BANDS, { workers: workersArg === undefined ? undefined : Number(workersArg), source });
const workers = reader.workers;
let tiles = 0;
let s: Strip | null;
while ((s = await reader.next())) {
  for (let col = 0; col < grid.cols; col++) copyTile(s.planes, stripWidth, col * grid.stride, grid.size, batch, (tiles++ % 32) * per);
  reader.release(s);
}
await reader.close();
await source.close();
const seconds = (performance.now() - t) / 1000;
console.log(JSON.stringify({ tiles, seconds, workers, gridMegapixels: (stripWidth * grid.rows * grid.size) / 1e6, peakMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
