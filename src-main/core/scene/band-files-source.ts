/**
 * A scene given as a folder of per-band GeoTIFFs (one band per file, each at its native
 * resolution: Earth Search COGs, bands exported from a SAFE product, ...). The scene's grid is
 * the 10 m grid of B02/B03/B04/B08; 10 m bands are read as they are (bit-identical to a stack),
 * 20 m and 60 m bands are resampled onto the 10 m grid on the fly, window by window, reading only
 * the part of each file the window needs (plus one pixel of margin for interpolation).
 *
 * Resampling is BILINEAR: it is what GDAL and rasterio users expect for continuous reflectance
 * (`gdalwarp -r bilinear`, `rasterio.enums.Resampling.bilinear`), it is smooth (no blocky 20 m
 * steps for the model to see as texture) and cheap (4 taps, separable weights computed once per
 * window). The SCL layer, being categorical, is resampled with nearest neighbour instead.
 *
 * Pixel-centre convention (half-pixel centres, as GDAL, rasterio and torch align_corners=False):
 * pixel (col, row) of a raster covers [col, col+1) × [row, row+1) in pixel space and its value
 * sits at its centre (col + ½, row + ½). Output pixel i of the 10 m grid has its centre at
 * X = X0 + (i + ½)·dx; in a source band with origin SX0 and pixel size sdx that is the
 * continuous source coordinate u = (X − SX0)/sdx − ½, interpolated between source pixels
 * ⌊u⌋ and ⌊u⌋+1 with weights 1−(u−⌊u⌋) and u−⌊u⌋ (the same along rows). For an aligned 20 m
 * band, u = i/2 − ¼: output pixels sit a quarter of a source pixel either side of each source
 * centre. Beyond the first or last source centre the edge pixel is repeated (edge clamping).
 * Nodata taps are left out and the remaining weights renormalised (GDAL's behaviour); a pixel
 * with no valid tap is nodata.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fromFile } from 'geotiff';
import { MslensError, throwIfAborted } from '../errors.ts';
import { parseBandFileName, sceneFactsFromName, type BandFileName } from './band-file-names.ts';
import { BAND_ORDER, BAND_TABLE, MODEL_BANDS } from './band-table.ts';
import { openTiffBandRaster, type BandRaster } from './band-raster.ts';
import { useNativeDeflate } from './native-deflate.ts';
import { planAxis, resampleWindow, ringSize } from './resample.ts';
import { type BandName, type BandSource, type GeoTransform, type PixelWindow, type RasterInfo } from './types.ts';

const TEN_M: readonly BandName[] = ['B02', 'B03', 'B04', 'B08'];
/**
 * Bands of a window read at the same time. All at once, every band crosses into a new block row
 * together and holds two rows of decoded blocks plus the next row's compressed reads: with
 * Earth Search's 1024 px blocks that took indexing a full scene to 1.44–1.53 GiB at the peak.
 * Two at a time: 1.29–1.37 GiB, for about 5 % of decode throughput (the model sets the speed of
 * indexing).
 */
const BANDS_AT_ONCE = 2;

export interface FoundBandFile extends BandFileName {
  name: string;
  path: string;
}

/** The recognisable band files directly inside a folder (GeoTIFF and JPEG 2000), sorted by name. */
export async function findBandFiles(folder: string): Promise<FoundBandFile[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => ({ e, parsed: parseBandFileName(e.name) }))
    .filter((x): x is { e: (typeof x)['e']; parsed: BandFileName } => x.parsed !== null)
    .map(({ e, parsed }) => ({ ...parsed, name: e.name, path: join(folder, e.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** True for a folder holding at least one GeoTIFF band file. */
export async function isBandFolder(path: string): Promise<boolean> {
  const st = await stat(path).catch(() => null);
  if (!st?.isDirectory()) return false;
  return (await findBandFiles(path)).some((f) => f.format === 'tiff');
}

/** One window read of one band raster, in that raster's pixels (what the memory test looks at). */
export interface FileRead {
  band: BandName;
  file: string;
  window: PixelWindow;
}

export interface BandFilesOptions {
  signal?: AbortSignal;
  /** Called for every read of a band raster. */
  onFileRead?: (read: FileRead) => void;
}

/** What the container (folder, SAFE product, STAC item) says of the scene as a whole. */
export interface SceneFacts {
  /** Names the scene in messages (folder, product or item name). */
  name: string;
  date?: string;
  tile?: string;
  /** The product's radiometric offset (metadata XML, STAC raster:bands); else the rasters' own. */
  radiometricOffset?: number;
}

/** Buffers of one resampled read: the source window, and the resampler's row ring. */
interface Scratch {
  src: Float32Array;
  ring: Float32Array;
}

interface PlacedRaster {
  r: BandRaster;
  /** True when the raster is on the scene grid itself (read as is). */
  onGrid: boolean;
  /** Scratch buffers not in use: one per concurrent read, kept for the next windows. */
  spare: Scratch[];
}

const near = (a: number, b: number, tol: number): boolean => Math.abs(a - b) <= tol;

function sameGrid(a: { width: number; height: number; transform: GeoTransform }, b: typeof a): boolean {
  const tol = Math.abs(b.transform[1]) * 1e-6;
  return a.width === b.width && a.height === b.height && a.transform.every((v, i) => near(v, b.transform[i], tol));
}

export class BandFilesSource implements BandSource {
  private constructor(
    readonly info: RasterInfo,
    /** The file or URL each band is read from. */
    readonly files: ReadonlyMap<BandName, string>,
    private readonly bands: ReadonlyMap<BandName, PlacedRaster>,
    private readonly onFileRead?: (read: FileRead) => void,
  ) {}

  /** A folder of per-band GeoTIFFs. */
  static async open(folder: string, opts: BandFilesOptions = {}): Promise<BandFilesSource> {
    useNativeDeflate();
    const found = await findBandFiles(folder);
    const tiffs = found.filter((f) => f.format === 'tiff');
    const foundBands = [...new Set(tiffs.map((f) => f.band))].sort((a, b) => BAND_ORDER.indexOf(a) - BAND_ORDER.indexOf(b));
    const missing = MODEL_BANDS.filter((b) => !foundBands.includes(b));
    if (missing.length) {
      const jp2 = missing.filter((b) => found.some((f) => f.format === 'jp2' && f.band === b));
      const example = (b: BandName): string => (b === 'SCL' ? 'SCL.tif' : `${b}.tif or ${BAND_TABLE[b].commonName}.tif`);
      throw new MslensError(
        'BANDS_MISSING',
        `${basename(folder)} has ${foundBands.length ? `band files for ${foundBands.join(' ')}` : 'no GeoTIFF band files'} but no ${missing.join(', ')}. mslens needs one GeoTIFF per band for ${MODEL_BANDS.join(' ')} (named like ${example(missing[0])})${jp2.length ? `; ${jp2.join(', ')} ${jp2.length === 1 ? 'is' : 'are'} there only as JPEG 2000: keep one format per folder (a folder of JPEG 2000 band files opens too), or convert with \`gdal_translate -of COG\`` : ''}.`,
        { path: folder, missing: missing.join(','), found: foundBands.join(',') },
      );
    }
    const rasters: BandRaster[] = [];
    try {
      for (const f of tiffs) {
        throwIfAborted(opts.signal);
        rasters.push(await openTiffBandRaster(() => fromFile(f.path, opts.signal), f.band, f.path, { file: f.path }));
      }
    } catch (err) {
      for (const r of rasters) r.close();
      throw err;
    }
    const facts = tiffs.map((f) => sceneFactsFromName(f.name));
    const folderFacts = sceneFactsFromName(basename(folder));
    return BandFilesSource.fromRasters(rasters, {
      name: basename(folder),
      date: facts.find((x) => x.date)?.date ?? folderFacts.date,
      tile: facts.find((x) => x.tile)?.tile ?? folderFacts.tile,
    }, opts);
  }

  /**
   * Band rasters of one scene, put on the grid of its 10 m bands. Takes ownership of the
   * rasters: they are closed with the source, or here when they do not make one scene.
   */
  static fromRasters(rasters: readonly BandRaster[], facts: SceneFacts, opts: BandFilesOptions = {}): BandFilesSource {
    try {
      return BandFilesSource.place(rasters, facts, opts);
    } catch (err) {
      for (const r of rasters) r.close();
      throw err;
    }
  }

  private static place(rasters: readonly BandRaster[], facts: SceneFacts, opts: BandFilesOptions): BandFilesSource {
    const name = facts.name;
    const missing = MODEL_BANDS.filter((b) => !rasters.some((r) => r.band === b));
    if (missing.length) {
      throw new MslensError('BANDS_MISSING', `${name} has no ${missing.join(', ')}. mslens needs the bands ${MODEL_BANDS.join(' ')}.`, { path: name, missing: missing.join(',') });
    }
    // One raster per band: when a band comes twice (B02.tif and blue.tif, B05_20m and B05_60m),
    // the finest one is used; two at the same resolution are ambiguous.
    const byBand = new Map<BandName, BandRaster>();
    for (const f of [...rasters].sort((a, b) => Math.abs(a.transform[1]) - Math.abs(b.transform[1]))) {
      const prev = byBand.get(f.band);
      if (!prev) byBand.set(f.band, f);
      else if (near(Math.abs(prev.transform[1]), Math.abs(f.transform[1]), 1e-9)) {
        throw new MslensError('SCENE_UNREADABLE', `${name} has two files for ${f.band} at the same resolution: ${basename(prev.label)} and ${basename(f.label)}. Keep one of them in the folder.`, { path: name, band: f.band });
      }
    }
    const ref = TEN_M.map((b) => byBand.get(b)).find((f) => f) ?? [...byBand.values()].sort((a, b) => Math.abs(a.transform[1]) - Math.abs(b.transform[1]))[0];
    const refName = basename(ref.label);
    const extent = (f: { width: number; height: number; transform: GeoTransform }): [number, number, number, number] => {
      const [x0, dx, , y0, , dy] = f.transform;
      return [x0, y0, x0 + f.width * dx, y0 + f.height * dy];
    };
    const refExtent = extent(ref);
    for (const f of byBand.values()) {
      if (f.crs.epsg !== ref.crs.epsg) {
        throw new MslensError('SCENE_UNREADABLE', `${basename(f.label)} is in EPSG:${f.crs.epsg} but ${refName} is in EPSG:${ref.crs.epsg}. All band files of a scene must share one CRS and extent: use the bands of one product, or reproject with \`gdalwarp -t_srs EPSG:${ref.crs.epsg}\`.`, { path: f.label, epsg: f.crs.epsg, expected: ref.crs.epsg });
      }
      if (TEN_M.includes(f.band) && Math.abs(f.transform[1]) <= Math.abs(ref.transform[1]) * 1.000001 && !sameGrid(f, ref)) {
        throw new MslensError('SCENE_UNREADABLE', `${basename(f.label)} is not on the same 10 m grid as ${refName} (${f.width}×${f.height} px at origin ${f.transform[0]}, ${f.transform[3]} vs ${ref.width}×${ref.height} px at ${ref.transform[0]}, ${ref.transform[3]}). All band files of a scene must share one CRS and extent: use the bands of one product.`, { path: f.label });
      }
      // Extents agree to within half a pixel of the band's own resolution.
      const tol = Math.abs(f.transform[1]) / 2 + 1e-6;
      const e = extent(f);
      if (!e.every((v, i) => near(v, refExtent[i], tol))) {
        const fmt = (x: number[]): string => x.map((v) => Math.round(v * 100) / 100).join(', ');
        throw new MslensError('SCENE_UNREADABLE', `${basename(f.label)} covers ${fmt(e)} but ${refName} covers ${fmt(refExtent)} (EPSG:${ref.crs.epsg}, left top right bottom). All band files of a scene must share one CRS and extent: use the bands of one product, or cut them to one window with \`gdal_translate -projwin\`.`, { path: f.label });
      }
    }
    let offset = facts.radiometricOffset;
    if (offset === undefined) {
      const offsets = [...new Set([...byBand.values()].filter((f) => f.band !== 'SCL').map((f) => f.offset).filter((o) => o !== 0))];
      if (offsets.length > 1) {
        throw new MslensError('SCENE_UNREADABLE', `The band files of ${name} declare different radiometric offsets (${offsets.join(', ')}). Use the bands of one product.`, { path: name });
      }
      offset = offsets[0] ?? 0;
    }
    const nodata = ref.nodata ?? [...byBand.values()].find((f) => f.nodata !== null)?.nodata ?? null;
    const bandNames = [...byBand.keys()].sort((a, b) => BAND_ORDER.indexOf(a) - BAND_ORDER.indexOf(b));
    const info: RasterInfo = {
      width: ref.width,
      height: ref.height,
      bands: bandNames,
      sampleType: ref.sampleType,
      nodata,
      crs: ref.crs,
      transform: ref.transform,
      radiometricOffset: offset,
      date: facts.date ?? ref.date,
      tile: facts.tile,
    };
    for (const f of rasters) if (byBand.get(f.band) !== f) f.close();
    const bands = new Map<BandName, PlacedRaster>();
    for (const [b, r] of byBand) bands.set(b, { r, onGrid: sameGrid(r, ref), spare: [] });
    return new BandFilesSource(info, new Map([...byBand].map(([b, r]) => [b, r.label])), bands, opts.onFileRead);
  }

  bandCost(band: BandName): number {
    const f = this.bands.get(band);
    if (!f) return 0;
    const scale = Math.abs(this.info.transform[1] / f.r.transform[1]) * Math.abs(this.info.transform[5] / f.r.transform[5]);
    return scale;
  }

  private readRaster(f: PlacedRaster, win: PixelWindow, signal: AbortSignal | undefined, into?: Float32Array): Promise<Float32Array> {
    this.onFileRead?.({ band: f.r.band, file: f.r.label, window: { ...win } });
    return f.r.read(win, signal, into);
  }

  async readWindow(win: PixelWindow, bands: readonly BandName[], signal?: AbortSignal, into?: Float32Array[]): Promise<Float32Array[]> {
    const n = win.width * win.height;
    const files = bands.map((b) => {
      const f = this.bands.get(b);
      if (!f) throw new MslensError('BANDS_MISSING', `The scene has no file for ${b}.`, { band: b });
      return f;
    });
    const outNodata = this.info.nodata;
    const one = async (f: PlacedRaster, k: number): Promise<Float32Array> => {
      const out = into?.[k] && into[k].length >= n ? into[k].subarray(0, n) : new Float32Array(n);
      const r = f.r;
      if (f.onGrid) {
        const got = await this.readRaster(f, win, signal, out);
        if (r.nodata !== null && outNodata !== null && r.nodata !== outNodata) for (let i = 0; i < n; i++) if (got[i] === r.nodata) got[i] = outNodata;
        return got;
      }
      const [x0, dx, , y0, , dy] = this.info.transform;
      const [sx0, sdx, , sy0, , sdy] = r.transform;
      const nearest = r.band === 'SCL';
      const px = planAxis(win.x, win.width, x0, dx, sx0, sdx, r.width, nearest);
      const py = planAxis(win.y, win.height, y0, dy, sy0, sdy, r.height, nearest);
      const sw = px.count;
      const need = sw * py.count;
      const scratch = f.spare.pop() ?? { src: new Float32Array(0), ring: new Float32Array(0) };
      if (scratch.src.length < need) scratch.src = new Float32Array(need);
      if (scratch.ring.length < ringSize(win.width)) scratch.ring = new Float32Array(ringSize(win.width));
      try {
        const src = await this.readRaster(f, { x: px.start, y: py.start, width: sw, height: py.count }, signal, scratch.src.subarray(0, need));
        resampleWindow(src, sw, px, py, out, win.width, scratch.ring, r.nodata, outNodata);
      } finally {
        f.spare.push(scratch);
      }
      return out;
    };
    const res: Float32Array[] = new Array(files.length);
    let next = 0;
    const lane = async (): Promise<void> => { for (let k = next++; k < files.length; k = next++) res[k] = await one(files[k], k); };
    await Promise.all(Array.from({ length: Math.min(BANDS_AT_ONCE, files.length) }, lane));
    return res;
  }

  async close(): Promise<void> {
    for (const f of this.bands.values()) f.r.close();
  }
}
