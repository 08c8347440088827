// Indexing throughput on the demo scene (made once per version of its generator), and peak
// memory of a full 10980 × 10980 scene.
// Each run is a child process, so its peak RSS (worker threads included) is its own.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoSourceHash } from '../helpers/harness.ts';
import { report } from './bench-util.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(REPO, 'node_modules', '.cache', 'mslens-bench');

function child(script: string, args: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, [join(REPO, 'node_modules/tsx/dist/cli.mjs'), join(REPO, 'tests/bench', script), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

export function demoPath(size: number): string {
  const dir = join(CACHE, `demo-${size}-${demoSourceHash()}`);
  const path = join(dir, `demo-s2l2a-${size}.tif`);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    const r = child('make-demo.child.ts', [dir, String(size)]);
    report(`demo scene ${size}×${size} generated`, { seconds: r.seconds, 'peak RSS MiB': r.peakMiB });
  }
  return path;
}

export function benchIndex(sizes: number[]): void {
  for (const size of sizes) {
    const scene = demoPath(size);
    const home = mkdtempSync(join(tmpdir(), 'mslens-bench-'));
    try {
      const r = child('index-scene.child.ts', [scene, home]);
      report(`index demo ${size}×${size}`, { tiles: r.tiles, 'tiles/s': r.tilesPerSecond, seconds: r.seconds, 'peak RSS MiB': r.peakMiB });
      const again = child('index-scene.child.ts', [scene, home]);
      report(`  again (cached, no inference)`, { seconds: again.seconds });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
}
