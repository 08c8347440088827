// The fast block reader against geotiff.js' own readRasters, on GDAL-made layouts of a real
// chip: pixel-interleaved and band-separate tiles, strips, a predictor; unaligned windows and
// samples asked for in any order.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromFile } from 'geotiff';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeBlockReader } from '../../../src-main/core/scene/block-reader.ts';
import { useNativeDeflate } from '../../../src-main/core/scene/native-deflate.ts';
import { gdal } from '../../helpers/harness.ts';
import { fixture } from '../../helpers/fixtures.ts';

const CHIP = fixture('msclip-examples', '282D_485L_3_3.tif');
let dir: string;

const LAYOUTS: Record<string, string[]> = {
  'tiles, pixel-interleaved': ['-co', 'TILED=YES', '-co', 'BLOCKXSIZE=64', '-co', 'BLOCKYSIZE=32', '-co', 'INTERLEAVE=PIXEL', '-co', 'COMPRESS=DEFLATE'],
  'tiles, band-separate': ['-co', 'TILED=YES', '-co', 'BLOCKXSIZE=48', '-co', 'BLOCKYSIZE=48', '-co', 'INTERLEAVE=BAND', '-co', 'COMPRESS=DEFLATE'],
  'strips, pixel-interleaved, predictor 2': ['-co', 'BLOCKYSIZE=10', '-co', 'INTERLEAVE=PIXEL', '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2'],
  'strips, uncompressed': ['-co', 'BLOCKYSIZE=7', '-co', 'INTERLEAVE=PIXEL'],
};

beforeAll(async () => {
  useNativeDeflate();
  dir = await mkdtemp(join(tmpdir(), 'mslens-blocks-'));
  for (const [name, co] of Object.entries(LAYOUTS)) gdal('gdal_translate', ['-q', ...co, CHIP, join(dir, `${name.replace(/\W+/g, '-')}.tif`)]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const WINDOWS = [
  { x: 0, y: 0, width: 224, height: 224 },
  { x: 37, y: 5, width: 101, height: 66 },
  { x: 200, y: 190, width: 24, height: 34 },
  { x: 63, y: 31, width: 2, height: 3 },
];
const SAMPLES = [[0], [3, 2, 1], [11, 0, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]];

describe('makeBlockReader', () => {
  test.each(Object.keys(LAYOUTS))('%s: every window and sample set as geotiff.js reads it', async (name) => {
    const tiff = await fromFile(join(dir, `${name.replace(/\W+/g, '-')}.tif`));
    const image = await tiff.getImage();
    const reader = await makeBlockReader(tiff, image, name);
    expect(reader).not.toBeNull();
    // Windows read in order and out of order, so the block cache is crossed both ways.
    for (const win of [...WINDOWS, ...[...WINDOWS].reverse()]) {
      for (const samples of SAMPLES) {
        const got = await reader!.read(win, samples);
        const want = (await image.readRasters({ window: [win.x, win.y, win.x + win.width, win.y + win.height], samples, interleave: false })) as unknown as ArrayLike<number>[];
        samples.forEach((s, k) => expect(Array.from(got[k]), `${name} ${JSON.stringify(win)} sample ${s}`).toEqual(Array.from(want[k])));
      }
    }
    tiff.close();
  });
});
