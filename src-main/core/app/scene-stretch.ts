/**
 * A default true-colour stretch for a scene: black and white points for B04/B03/B02 from a
 * sample of windows spread over the scene, the way a GIS applies a 2–98 % cumulative cut, with
 * bright snow and cloud left out of the white point so that the land keeps its contrast.
 */
import { MslensError } from '../errors.ts';
import { openScene } from '../scene/open-scene.ts';
import type { BandName } from '../scene/types.ts';

export interface SceneStretch {
  /** The bands shown as red, green and blue. */
  bands: [BandName, BandName, BandName];
  /** 1-based positions of those bands in the file, for OpenLayers' GeoTIFF source. */
  fileBands: [number, number, number];
  /** Stored values mapped to black and white (the same for the three bands, to keep colours true). */
  min: number;
  max: number;
  /** Lowest and highest useful values for a stretch slider. */
  range: [number, number];
  /** Added to reflectance × 10000 in the stored values. */
  offset: number;
  nodata: number | null;
}

const RGB: [BandName, BandName, BandName] = ['B04', 'B03', 'B02'];

function percentile(sorted: Float32Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))))];
}

export interface StretchOptions {
  /** Windows per side of the sampling grid. @default 6 */
  grid?: number;
  /** Edge of each sample window in pixels. @default 48 */
  window?: number;
}

export async function sceneStretch(path: string, opts: StretchOptions = {}, signal?: AbortSignal): Promise<SceneStretch> {
  const source = await openScene(path, signal);
  try {
    const info = source.info;
    const fileBands = RGB.map((b) => info.bands.indexOf(b) + 1) as [number, number, number];
    if (fileBands.some((i) => i === 0)) {
      throw new MslensError('BANDS_MISSING', `This scene has no ${RGB.filter((_, i) => fileBands[i] === 0).join(', ')}: mslens needs B04, B03 and B02 to show it in true colour.`, { missing: RGB.filter((_, i) => fileBands[i] === 0).join(',') });
    }
    const grid = opts.grid ?? 6;
    const win = Math.min(opts.window ?? 48, info.width, info.height);
    const offset = info.radiometricOffset;
    const dark: number[] = [];
    const bright: number[] = [];
    const all: number[] = [];
    // Snow and thick cloud: visible reflectance above 0.3.
    const brightLimit = offset + 3000;
    for (let gy = 0; gy < grid; gy++) {
      for (let gx = 0; gx < grid; gx++) {
        const x = Math.floor(((gx + 0.5) / grid) * (info.width - win));
        const y = Math.floor(((gy + 0.5) / grid) * (info.height - win));
        const [r, g, b] = await source.readWindow({ x, y, width: win, height: win }, RGB, signal);
        for (let i = 0; i < r.length; i++) {
          if (r[i] === info.nodata || (r[i] === 0 && g[i] === 0 && b[i] === 0)) continue;
          const mean = (r[i] + g[i] + b[i]) / 3;
          (mean > brightLimit ? bright : dark).push(r[i], g[i], b[i]);
          all.push(r[i], g[i], b[i]);
        }
      }
    }
    const sortedAll = Float32Array.from(all).sort();
    // When most of the scene is bright (a glacier, a cloud deck), stretch for it instead.
    const white = Float32Array.from(dark.length > bright.length / 2 ? dark : all).sort();
    const round = (v: number): number => Math.round(v / 10) * 10;
    const min = Number.isFinite(percentile(sortedAll, 2)) ? Math.min(Math.max(percentile(sortedAll, 2), offset), offset + 1500) : offset;
    const max = Number.isFinite(percentile(white, 98)) ? Math.min(Math.max(percentile(white, 98), min + 800, offset + 2000), offset + 6000) : offset + 3000;
    return {
      bands: RGB, fileBands, min: round(min), max: round(max), range: [offset, offset + 10000], offset, nodata: info.nodata,
    };
  } finally {
    await source.close();
  }
}
