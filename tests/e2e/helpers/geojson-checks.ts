/** RFC 7946 checks for an exported FeatureCollection of tile polygons. */
import { expect } from 'vitest';

type Ring = [number, number][];

export function expectValidFeatureCollection(fc: { type: string; bbox?: number[]; features: { type: string; id?: string; geometry: { type: string; coordinates: Ring[] }; properties: Record<string, unknown> }[] }): void {
  expect(fc.type).toBe('FeatureCollection');
  expect(fc.features.length).toBeGreaterThan(0);
  for (const f of fc.features) {
    expect(f.type).toBe('Feature');
    expect(f.properties.tile).toMatch(/^r\d{3}c\d{3}$/);
    expect(f.geometry.type).toBe('Polygon');
    const [ring] = f.geometry.coordinates;
    expect(ring).toHaveLength(5);
    expect(ring[4]).toEqual(ring[0]);
    for (const [lon, lat] of ring) {
      expect(lon).toBeGreaterThanOrEqual(-180);
      expect(lon).toBeLessThanOrEqual(180);
      expect(lat).toBeGreaterThanOrEqual(-90);
      expect(lat).toBeLessThanOrEqual(90);
    }
    // Exterior rings are counter-clockwise (positive shoelace area).
    const area = ring.slice(0, 4).reduce((s, p, i) => s + (p[0] * ring[i + 1][1] - ring[i + 1][0] * p[1]), 0);
    expect(area).toBeGreaterThan(0);
  }
  if (fc.bbox) {
    const [w, s, e, n] = fc.bbox;
    for (const f of fc.features) for (const [lon, lat] of f.geometry.coordinates[0]) {
      expect(lon >= w && lon <= e && lat >= s && lat <= n).toBe(true);
    }
  }
}
