// GeoJSON export against RFC 7946: closed counter-clockwise lon/lat rings, properties per result.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { demoScene, makeHarness, type Harness } from '../../helpers/harness.ts';

let h: Harness;
let index: string;
beforeAll(async () => {
  h = await makeHarness();
  index = (await h.ok('buildIndex', { scene: (await demoScene(2240)).scenePath })).path;
});
afterAll(() => h.cleanup());

function checkFeatureCollection(fc: { type: string; bbox: number[]; features: { type: string; geometry: { type: string; coordinates: number[][][] }; properties: Record<string, unknown> }[] }): void {
  expect(fc.type).toBe('FeatureCollection');
  for (const f of fc.features) {
    expect(f.type).toBe('Feature');
    expect(f.geometry.type).toBe('Polygon');
    const ring = f.geometry.coordinates[0];
    expect(ring).toHaveLength(5);
    expect(ring[4]).toEqual(ring[0]);
    for (const [lon, lat] of ring) {
      expect(lon).toBeGreaterThanOrEqual(-180); expect(lon).toBeLessThanOrEqual(180);
      expect(lat).toBeGreaterThanOrEqual(-90); expect(lat).toBeLessThanOrEqual(90);
      expect(lon).toBeGreaterThanOrEqual(fc.bbox[0]); expect(lat).toBeLessThanOrEqual(fc.bbox[3]);
    }
    // Shoelace area > 0 means counter-clockwise (right-hand rule).
    const area = ring.slice(0, 4).reduce((s, p, i) => s + p[0] * ring[i + 1][1] - ring[i + 1][0] * p[1], 0);
    expect(area).toBeGreaterThan(0);
    expect(f.properties).toMatchObject({ model_id: 'mslens-spectral', scene_id: 'demo-s2l2a-2240', date: '2024-06-12' });
    // The demo has an SCL layer, so every tile's mask fractions are known.
    for (const k of ['valid_fraction', 'cloud_fraction', 'shadow_fraction', 'snow_fraction', 'nodata_fraction']) expect(typeof f.properties[k], k).toBe('number');
    expect(typeof f.properties.tile).toBe('string');
  }
}

test('search export: one feature per hit with score and rank', async () => {
  const path = join(h.home, 'out', 'snow.geojson');
  const r = await h.ok('search', { index, text: 'snow', topK: 7, geojson: path });
  expect(r.geojson).toBe(path);
  const fc = JSON.parse(await readFile(path, 'utf8'));
  checkFeatureCollection(fc);
  expect(fc.features.map((f: { properties: { score: number } }) => f.properties.score)).toEqual(r.results.map((x) => x.score));
  expect(fc.features[0].properties).toMatchObject({ rank: 1, query: 'snow' });
});

test('classify export: every tile with its label and probabilities', async () => {
  const path = join(h.home, 'out', 'classes.geojson');
  const r = await h.ok('classify', { index, classes: ['water', 'forest', 'snow'], geojson: path });
  const fc = JSON.parse(await readFile(path, 'utf8'));
  checkFeatureCollection(fc);
  expect(fc.features).toHaveLength(r.tiles.length);
  expect(fc.features[3].properties.label).toBe(r.tiles[3].label);
  expect(Object.keys(fc.features[3].properties.probs)).toEqual(['water', 'forest', 'snow']);
});

test('an unwritable destination is a clear error', async () => {
  const r = await h.call('search', { index, text: 'snow', geojson: join(index, 'x.geojson') }); // a path below a file
  expect(!r.ok && r.error.message).toMatch(/Could not write .*writable/);
});
