// The mslens command as a user runs it: the real bin, --json formats, stderr progress, exit codes.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO, demoScene } from '../../helpers/harness.ts';
import { fixture } from '../../helpers/fixtures.ts';

let home: string;
let scene: string;
const mslens = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/mslens.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, MSLENS_HOME: home }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mslens-cli-'));
  scene = (await demoScene(2240)).scenePath;
});
afterAll(() => rm(home, { recursive: true, force: true }));

describe('mslens', () => {
  test('index --json reports the index; progress goes to stderr', () => {
    const r = mslens('index', scene, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ modelId: 'mslens-spectral', tilesTotal: 100, cached: false, provider: 'cpu' });
    expect(r.stderr).toMatch(/Embedding tiles \[cpu\]: \d+\/100 .*tiles\/s/);
  });

  test('index prints what was skipped and why: cloudy tiles above --max-cloud apart from nodata', () => {
    // The index of the first test, from the cache: the threshold is 0.5 by default.
    const json = JSON.parse(mslens('index', scene, '--max-cloud', '0.5', '--json').stdout) as { cached: boolean; tilesSkipped: number; tilesSkippedCloudy: number; tilesSkippedNodata: number; tilesIndexed: number };
    expect(json.cached).toBe(true);
    expect(json.tilesSkippedCloudy).toBeGreaterThanOrEqual(1); // the demo's big cloud
    expect(json.tilesSkippedNodata).toBeGreaterThanOrEqual(1); // its orbit-edge corner
    const r = mslens('index', scene);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${json.tilesIndexed} tiles embedded with mslens-spectral, skipped ${json.tilesSkipped} (${json.tilesSkippedCloudy} cloudy > 50 %, ${json.tilesSkippedNodata} nodata)`);
    expect(r.stdout).toMatch(/date 2024-06-12, .*cloud, shadow and snow fractions from its SCL layer/);
    const bad = mslens('index', scene, '--max-cloud', '2');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('mslens: --max-cloud takes a fraction from 0 to 1\n');
  });

  test('search prints each hit with its date, score and cloud fraction', () => {
    const json = JSON.parse(mslens('search', scene, 'forest', '--top-k', '3', '--json').stdout) as { results: { tile: string; date: string; score: number; cloudFraction: number }[] };
    const r = mslens('search', scene, 'forest', '--top-k', '3');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').slice(1);
    expect(lines).toHaveLength(3);
    json.results.forEach((x, i) => {
      expect(lines[i]).toContain(`${x.tile}  2024-06-12  score ${x.score.toFixed(3)}  cloud ${`${Math.round(x.cloudFraction * 100)} %`.padStart(5)}`);
    });
  });

  test('search --json prints results best first in the documented shape, and writes GeoJSON', async () => {
    const gj = join(home, 'water.geojson');
    const r = mslens('search', scene, 'water', '--top-k', '5', '--json', '--geojson', gj);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { results: { tile: string; row: number; col: number; score: number; bbox: number[] }[] };
    expect(out.results).toHaveLength(5);
    for (const x of out.results) {
      expect(x.tile).toMatch(/^r\d{3}c\d{3}$/);
      expect(x.tile).toBe(`r${String(x.row).padStart(3, '0')}c${String(x.col).padStart(3, '0')}`);
      expect(x.bbox).toHaveLength(4);
    }
    expect(out.results.map((x) => x.score)).toEqual([...out.results.map((x) => x.score)].sort((a, b) => b - a));
    const fc = JSON.parse(await readFile(gj, 'utf8'));
    expect(fc.features.map((f: { properties: { tile: string } }) => f.properties.tile)).toEqual(out.results.map((x) => x.tile));
  });

  test('classify --json prints every tile with label and probabilities', () => {
    const r = mslens('classify', scene, '--classes', 'water,forest,snow', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { tiles: { tile: string; row: number; col: number; label: string; probs: Record<string, number> }[] };
    expect(out.tiles.length).toBeGreaterThan(90);
    expect(Object.keys(out.tiles[0].probs)).toEqual(['water', 'forest', 'snow']);
    expect(['water', 'forest', 'snow']).toContain(out.tiles[0].label);
  });

  test('similar --json uses the same tile ids', () => {
    const top = JSON.parse(mslens('search', scene, 'snow', '--top-k', '1', '--json').stdout).results[0].tile;
    const r = mslens('similar', scene, '--tile', top, '--top-k', '3', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results).toHaveLength(3);
  });

  test('info describes a scene: size, bands, CRS, tiles (one chip: "1 tile")', () => {
    const big = mslens('info', scene);
    expect(big.code).toBe(0);
    expect(big.stdout).toMatch(/2240×2240 px, 13 bands/);
    expect(big.stdout).toMatch(/100 tiles of 224 px \(10 × 10\)/);
    const chip = mslens('info', fixture('msclip-examples', '282D_485L_3_3.tif'));
    expect(chip.stdout).toMatch(/CRS EPSG:32722/);
    expect(chip.stdout).toMatch(/^1 tile of 224 px \(1 × 1\)$/m);
  });

  test('models list --json shows the built-in model and the provider order', () => {
    const out = JSON.parse(mslens('models', 'list', '--json').stdout);
    expect(out.models[0].id).toBe('mslens-spectral');
    expect(out.providers.candidates).toContain('cpu');
  });

  test('a query the model cannot embed is refused before a new scene is indexed', () => {
    const r = mslens('search', join(home, 'not-indexed-yet.tif'), 'solar farm');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mslens models install llama3-ms-clip/);
    expect(r.stderr).not.toMatch(/Embedding tiles/);
  });

  test('a bad flag is refused before a new scene is indexed, and named as the flag', () => {
    const fresh = join(home, 'not-indexed-either.tif');
    for (const [args, message] of [
      [['search', fresh, 'water', '--top-k', '0'], 'mslens: --top-k takes a whole number from 1 to 10000'],
      [['search', fresh, 'water', '--threshold', '3'], 'mslens: --threshold takes a score from -1 to 1'],
      [['classify', fresh, '--classes', 'water'], 'mslens: --classes takes at least two classes'],
      [['similar', fresh, '--tile', 'tile-7'], 'mslens: --tile takes a tile id like r003c007 (SCENE/r003c007 in a collection)'],
      [['settings', '--model', ''], 'mslens: --model needs a non-empty id'],
    ] as [string[], string][]) {
      const r = mslens(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toBe(`${message}\n`); // no "Embedding tiles" first
    }
  });

  test.each([
    [['search', 'x.parquet'], /query is empty/, 1],
    [['search', '/nope/x.tif', 'water'], /does not exist/, 1],
    [['index', fixture('msclip-examples', 'README.md')], /could not be read|not a format/, 1],
    [['frobnicate'], /unknown command/, 2],
    [['search', 'a', 'b', '--top-k', 'many'], /--top-k takes a number/, 2],
    [['index', 'x.tif', '--bogus'], /^mslens: unknown option --bogus\. Usage: /, 2],
  ] as [string[], RegExp, number][])('bad input %j exits non-zero with one line', (args, message, code) => {
    const r = mslens(...args);
    expect(r.code).toBe(code);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('mslens:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stdout).toBe('');
  });
});
