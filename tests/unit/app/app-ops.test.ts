// The app's own operations through dispatch, and the op runner both fronts share: jobs (ids on
// progress events, cancelJob), remembered state, the true-colour stretch, GeoJSON export,
// chooseFile, and files becoming servable once opened.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Events } from '../../../src-main/core/api.ts';
import { defaultBuiltInModelsDir } from '../../../src-main/core/app-paths.ts';
import { createOpRunner, parseRange } from '../../../src-main/core/app/index.ts';
import { resolveDataHome } from '../../../src-main/core/data-home.ts';
import { createHandlers } from '../../../src-main/core/handlers/index.ts';
import { JobRegistry } from '../../../src-main/core/jobs.ts';
import { demoScene, makeHarness, type Harness } from '../../helpers/harness.ts';

let h: Harness;
let scene: string;
let index: string;

beforeAll(async () => {
  h = await makeHarness();
  scene = (await demoScene(2240)).scenePath;
  index = (await h.ok('buildIndex', { scene })).path;
});
afterAll(() => h.cleanup());

describe('appState and saveAppState', () => {
  test('a new data folder is a first run with nothing remembered', async () => {
    const s = await h.ok('appState', {});
    expect(s).toMatchObject({ firstRun: true, dataHome: h.home, recent: { scenes: [], queries: [], classLists: [], indexes: [] } });
    expect(s.demo).toEqual({ scenePath: join(h.home, 'demo', 'demo-s2l2a-2240.tif'), exists: false });
  });

  test('saving replaces the lists given and keeps the others', async () => {
    await h.ok('saveAppState', { recent: { queries: ['water', 'snow'] } });
    const s = await h.ok('saveAppState', { recent: { scenes: [scene], indexes: [{ scene, index }] } });
    expect(s.firstRun).toBe(false);
    expect(s.recent).toEqual({ scenes: [scene], queries: ['water', 'snow'], classLists: [], indexes: [{ scene, index }] });
    expect((await h.ok('appState', {})).recent.queries).toEqual(['water', 'snow']);
    expect(JSON.parse(await readFile(join(h.home, 'ui-state.json'), 'utf8')).recent.scenes).toEqual([scene]);
  });

  test('lists are bounded', async () => {
    const r = await h.call('saveAppState', { recent: { scenes: Array.from({ length: 13 }, (_, i) => `/s${i}.tif`) } });
    expect(!r.ok && r.error.code).toBe('BAD_ARGUMENT');
  });
});

describe('sceneStretch', () => {
  test('B04/B03/B02 with one black and white point for the three bands', async () => {
    const s = await h.ok('sceneStretch', { path: scene });
    expect(s).toMatchObject({ bands: ['B04', 'B03', 'B02'], fileBands: [4, 3, 2], offset: 0, nodata: 0 });
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.min).toBeLessThan(600);
    expect(s.max).toBeGreaterThanOrEqual(2000);
    expect(s.max).toBeLessThan(4000);
  });

  test('a file that is not a scene gets a readable error', async () => {
    const r = await h.call('sceneStretch', { path: '/nonexistent/scene.tif' });
    expect(!r.ok && r.error.code).toBe('NOT_FOUND');
  });
});

describe('exportGeoJson', () => {
  const features = [
    { tile: 'r002c002', properties: { query: 'water', score: 1, rank: 1 } },
    { tile: 'r000c000', properties: { label: 'forest', probs: { forest: 0.9, water: 0.1 } } },
  ];

  test('without out: the FeatureCollection itself, for a download', async () => {
    const r = await h.ok('exportGeoJson', { index, features });
    expect(r.path).toBeNull();
    expect(r.count).toBe(2);
    // Each feature carries the tile's facts (as openIndex gives them) before the result's own properties.
    const refs = new Map((await h.ok('openIndex', { index })).tiles.map((t) => [t.tile, t]));
    const facts = (id: string) => {
      const t = refs.get(id)!;
      return { date: '2024-06-12', mgrs_tile: '33UUP', valid_fraction: t.validFraction, cloud_fraction: t.cloudFraction, shadow_fraction: t.shadowFraction, snow_fraction: t.snowFraction, nodata_fraction: t.nodataFraction };
    };
    expect(r.featureCollection!.features.map((f) => f.properties)).toEqual([
      { tile: 'r002c002', row: 2, col: 2, scene_id: 'demo-s2l2a-2240', model_id: 'mslens-spectral', ...facts('r002c002'), query: 'water', score: 1, rank: 1 },
      { tile: 'r000c000', row: 0, col: 0, scene_id: 'demo-s2l2a-2240', model_id: 'mslens-spectral', ...facts('r000c000'), label: 'forest', probs: { forest: 0.9, water: 0.1 } },
    ]);
    expect(facts('r000c000').shadow_fraction).toBeGreaterThan(0); // under the demo's big cloud's shadow
  });

  test('with out: written to the file (the desktop save dialog)', async () => {
    const out = join(h.home, 'exports', 'x.geojson');
    const r = await h.ok('exportGeoJson', { index, features, out });
    expect(r).toMatchObject({ path: out, count: 2, featureCollection: null });
    expect(JSON.parse(await readFile(out, 'utf8')).features).toHaveLength(2);
  });

  test('an unknown tile is BAD_ARGUMENT', async () => {
    const r = await h.call('exportGeoJson', { index, features: [{ tile: 'r099c099', properties: {} }] });
    expect(!r.ok && r.error.code).toBe('BAD_ARGUMENT');
  });
});

test('chooseFile: core has no dialog, so it says so (web mode then asks for a path)', async () => {
  expect(await h.ok('chooseFile', { purpose: 'scene' })).toEqual({ supported: false, path: null });
});

describe('the op runner', () => {
  const runner = () => createOpRunner(createHandlers({ home: resolveDataHome({ MSLENS_HOME: h.home }), builtInModels: defaultBuiltInModelsDir() }), { log: () => {} });

  test('progress events carry the job id the caller gave', async () => {
    const r = runner();
    const events: Events['progress'][] = [];
    r.subscribe((_name, p) => events.push(p));
    const reply = await r.run('buildIndex', { scene }, { jobId: 'job-cached-1' });
    expect(reply.ok).toBe(true);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.jobId === 'job-cached-1')).toBe(true);
  });

  test('cancelJob stops a running index build', async () => {
    const r = runner();
    const progress: number[] = [];
    r.subscribe((_name, p) => { if (p.jobId === 'job-build-2') progress.push(p.done); });
    // A new tiling, so the cache cannot answer.
    const running = r.run('buildIndex', { scene, tile: 112 }, { jobId: 'job-build-2' });
    while (progress.length < 2) await new Promise((res) => setTimeout(res, 20));
    expect(await r.run('cancelJob', { jobId: 'job-build-2' })).toEqual({ ok: true, value: { cancelled: true } });
    const reply = await running;
    expect(!reply.ok && reply.error.code).toBe('CANCELLED');
    expect(await r.run('cancelJob', { jobId: 'job-build-2' })).toEqual({ ok: true, value: { cancelled: false } });
  });

  test('an unknown operation or a bad job id is a BAD_ARGUMENT reply', async () => {
    const r = runner();
    expect(await r.run('rm -rf', {})).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT' } });
    expect(await r.run('appState', {}, { jobId: '../x' })).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT' } });
  });

  test('a scene becomes readable by URL only once opened', async () => {
    const r = runner();
    expect((await r.files.respond(scene, 'bytes=0-3')).status).toBe(403);
    expect((await r.run('openScene', { path: '/etc/passwd' })).ok).toBe(false);
    expect((await r.files.respond('/etc/passwd', null)).status).toBe(403);
    expect((await r.run('openScene', { path: scene })).ok).toBe(true);
    const res = await r.files.respond(scene, 'bytes=0-3');
    expect(res.status).toBe(206);
    expect(res.headers['Content-Range']).toMatch(/^bytes 0-3\/\d+$/);
    const chunks: Buffer[] = [];
    for await (const c of res.body!) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString('latin1')).toBe('II*\0');
  });
});

describe('JobRegistry', () => {
  test('one job per id at a time; an outer signal cancels too', async () => {
    const jobs = new JobRegistry();
    let release!: () => void;
    const a = jobs.run('job-aaaaaa', () => new Promise<void>((res) => { release = res; }));
    await expect(jobs.run('job-aaaaaa', async () => 1)).rejects.toThrow(/already running/);
    release();
    await a;
    const outer = new AbortController();
    const b = jobs.run('job-bbbbbb', (signal) => new Promise((_, rej) => signal.addEventListener('abort', () => rej(new Error('aborted')))), outer.signal);
    outer.abort();
    await expect(b).rejects.toThrow('aborted');
    expect(jobs.size).toBe(0);
  });
});

test.each([
  [null, 100, null],
  ['bytes=0-9', 100, { start: 0, end: 9 }],
  ['bytes=90-', 100, { start: 90, end: 99 }],
  ['bytes=-10', 100, { start: 90, end: 99 }],
  ['bytes=50-500', 100, { start: 50, end: 99 }],
  ['bytes=100-', 100, 'unsatisfiable'],
  ['bytes=9-3', 100, 'unsatisfiable'],
  ['bytes=0-1,5-6', 100, null],
  ['items=0-1', 100, null],
] as const)('parseRange(%s, %d)', (header, size, expected) => {
  expect(parseRange(header, size)).toEqual(expected);
});
