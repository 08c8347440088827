/**
 * Test harness: the real core behind dispatch, with a temporary data folder, and the demo
 * scene made once per source version (it is deterministic) and reused across test files.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromFile } from 'geotiff';
import type { Arg, Events, OpName, Reply, Result } from '../../src-main/core/api.ts';
import { defaultBuiltInModelsDir } from '../../src-main/core/app-paths.ts';
import { resolveDataHome } from '../../src-main/core/data-home.ts';
import { dispatch } from '../../src-main/core/dispatch.ts';
import { createHandlers } from '../../src-main/core/handlers/index.ts';
import { writeDemoScene } from '../../src-main/core/scene/demo/demo-scene.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface Harness {
  home: string;
  events: Events['progress'][];
  call<N extends OpName>(name: N, arg: Arg<N> | Record<string, unknown>, signal?: AbortSignal): Promise<Reply<Result<N>>>;
  /** Like call, but throws on an error reply. */
  ok<N extends OpName>(name: N, arg: Arg<N> | Record<string, unknown>): Promise<Result<N>>;
  cleanup(): Promise<void>;
}

export async function makeHarness(): Promise<Harness> {
  const home = await mkdtemp(join(tmpdir(), 'mslens-home-'));
  const handlers = createHandlers({ home: resolveDataHome({ MSLENS_HOME: home }), builtInModels: defaultBuiltInModelsDir() });
  const events: Events['progress'][] = [];
  const h: Harness = {
    home,
    events,
    call: (name, arg, signal) => dispatch(handlers, name, arg, { signal, emit: (_n, p) => events.push(p) }, () => {}),
    async ok(name, arg) {
      const r = await h.call(name, arg);
      if (!r.ok) throw new Error(`${name} failed: ${r.error.code} ${r.error.message}`);
      return r.value;
    },
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
  return h;
}

const CACHE = join(REPO, 'node_modules', '.cache', 'mslens-tests');

export function demoSourceHash(): string {
  const dir = join(REPO, 'src-main/core/scene');
  const files = ['geotiff-writer.ts', ...readdirSync(join(dir, 'demo')).map((f) => join('demo', f))].sort();
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(join(dir, f)));
  return h.digest('hex').slice(0, 12);
}

/** The demo scene of this size, generated once per version of its generator. */
export async function demoScene(size = 2240): Promise<{ scenePath: string; truthPath: string }> {
  const outDir = join(CACHE, `demo-${size}-${demoSourceHash()}`);
  const scenePath = join(outDir, `demo-s2l2a-${size}.tif`);
  const truthPath = join(outDir, `demo-s2l2a-${size}-truth.tif`);
  if (!existsSync(scenePath) || !existsSync(truthPath)) {
    await mkdir(outDir, { recursive: true });
    await writeDemoScene({ outDir, size });
  }
  return { scenePath, truthPath };
}

/** Per tile of the grid, the fraction of each ground-truth class code. */
export async function truthFractions(truthPath: string, tile = 224): Promise<Map<string, number[]>> {
  const image = await (await fromFile(truthPath)).getImage();
  const [codes] = (await image.readRasters({ interleave: false })) as unknown as Uint8Array[];
  const w = image.getWidth();
  const rows = Math.floor(image.getHeight() / tile);
  const cols = Math.floor(w / tile);
  const out = new Map<string, number[]>();
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const counts = new Array<number>(8).fill(0);
      for (let y = r * tile; y < (r + 1) * tile; y++) for (let x = c * tile; x < (c + 1) * tile; x++) counts[codes[y * w + x]]++;
      out.set(`r${String(r).padStart(3, '0')}c${String(c).padStart(3, '0')}`, counts.map((n) => n / (tile * tile)));
    }
  }
  return out;
}


/** Runs a GDAL command line tool; throws with its stderr on failure. */
export function gdal(tool: string, args: string[]): string {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** Runs a Python snippet with Debian's python3-gdal. */
export function gdalPython(code: string, ...args: string[]): string {
  const r = spawnSync('/usr/bin/python3', ['-c', code, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3-gdal failed: ${r.stderr}`);
  return r.stdout;
}
