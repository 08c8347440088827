// The tile grid: whole tiles only, stride, stable ids, footprints in the scene CRS and EPSG:4326.
import { describe, expect, test } from 'vitest';
import { crsFromEpsg } from '../../../src-main/core/scene/crs.ts';
import { makeFootprinter, makeTileGrid, parseTileId, tileId, windowCorners } from '../../../src-main/core/tiles/tile-grid.ts';

describe('makeTileGrid', () => {
  test('a full Sentinel-2 tile gives 49 × 49 = 2401 tiles of 224 px', () => {
    const g = makeTileGrid({ width: 10980, height: 10980 });
    expect([g.rows, g.cols, g.count]).toEqual([49, 49, 2401]);
    expect(g.tile(48, 48).window).toEqual({ x: 10752, y: 10752, width: 224, height: 224 });
  });
  test('stride below the tile size overlaps tiles', () => {
    const g = makeTileGrid({ width: 2240, height: 2240 }, { size: 224, stride: 112 });
    expect(g.count).toBe(19 * 19);
    expect(g.tile(1, 1).window).toMatchObject({ x: 112, y: 112 });
  });
  test('bad sizes are clear errors', () => {
    expect(() => makeTileGrid({ width: 100, height: 100 })).toThrow(/smaller than one 224 px tile/);
    expect(() => makeTileGrid({ width: 1000, height: 1000 }, { size: 8 })).toThrow(/16 to 4096/);
    expect(() => makeTileGrid({ width: 1000, height: 1000 }, { stride: 0 })).toThrow(/Stride/);
  });
  test('tile ids are stable and parse back', () => {
    expect(tileId(3, 7)).toBe('r003c007');
    expect(parseTileId('r003c007')).toEqual({ row: 3, col: 7 });
    expect(parseTileId('r1234c0005')).toEqual({ row: 1234, col: 5 });
    expect(parseTileId('3,7')).toBeNull();
  });
});

describe('footprints', () => {
  // The chip 282D_485L_3_3: EPSG:32722 (UTM 22S), upper-left at about -48.1174, -25.3061.
  const crs = crsFromEpsg(32722)!;
  const transform = [742760, 10, 0, 7197600, 0, -10] as const;

  test('scene-CRS corners follow the geotransform', () => {
    expect(windowCorners({ x: 0, y: 0, width: 224, height: 224 }, transform)).toEqual([[742760, 7197600], [742760, 7195360], [745000, 7195360], [745000, 7197600]]);
  });
  test('EPSG:4326 rings are closed, counter-clockwise, in the southern hemisphere for UTM south', () => {
    const ring = makeFootprinter(crs, transform)({ x: 0, y: 0, width: 224, height: 224 });
    expect([ring[8], ring[9]]).toEqual([ring[0], ring[1]]);
    expect(ring[1]).toBeLessThan(0);
    let area = 0;
    for (let i = 0; i < 4; i++) area += ring[2 * i] * ring[2 * i + 3] - ring[2 * i + 2] * ring[2 * i + 1];
    expect(area).toBeGreaterThan(0);
  });
  test('unsupported CRSs are refused', () => {
    expect(crsFromEpsg(2154)).toBeNull();
    expect(crsFromEpsg(32633)!.proj4).toContain('+zone=33');
  });
});
