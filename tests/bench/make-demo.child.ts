import { writeDemoScene } from '../../src-main/core/scene/demo/demo-scene.ts';

const [outDir, size] = process.argv.slice(2);
const t = performance.now();
await writeDemoScene({ outDir, size: Number(size) });
console.log(JSON.stringify({ seconds: (performance.now() - t) / 1000, peakMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
