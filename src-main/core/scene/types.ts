/** Sentinel-2 MSI band ids, plus the L2A scene classification layer. */
export const S2_BANDS = ['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B10', 'B11', 'B12'] as const;
export type SpectralBand = (typeof S2_BANDS)[number];
export type BandName = SpectralBand | 'SCL';

/** 12 L2A bands, in the order products and stacks use (no B10). */
export const L2A_BANDS: readonly SpectralBand[] = ['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B11', 'B12'];
/** 13 L1C bands. */
export const L1C_BANDS: readonly SpectralBand[] = S2_BANDS;

export type SampleType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

export interface Crs {
  /** EPSG code, e.g. 32633 for UTM 33N. */
  epsg: number;
  /** proj4 definition, for reprojection. */
  proj4: string;
}

/**
 * Affine transform of a north-up raster, GDAL order:
 * x = t[0] + col * t[1] + row * t[2]; y = t[3] + col * t[4] + row * t[5].
 */
export type GeoTransform = readonly [number, number, number, number, number, number];

export interface RasterInfo {
  width: number;
  height: number;
  /** Band identity of each stored band, in file order. */
  bands: readonly BandName[];
  sampleType: SampleType;
  nodata: number | null;
  crs: Crs;
  transform: GeoTransform;
  /** Added to reflectance × 10000 in the stored values (processing baseline ≥ 04.00 stores +1000). */
  radiometricOffset: number;
  /** Acquisition date (ISO 8601) when the source declares it. */
  date?: string;
  /** MGRS tile id (e.g. "33UUP") when the source's metadata or names give one. */
  tile?: string;
}

export interface PixelWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface BandSource {
  readonly info: RasterInfo;
  /**
   * One Float32Array (width × height, row-major) per requested band, in the order asked.
   * `into`, when given, supplies those arrays (at least width × height each) so a caller that
   * reads window after window reuses its buffers.
   */
  readWindow(win: PixelWindow, bands: readonly BandName[], signal?: AbortSignal, into?: Float32Array[]): Promise<Float32Array[]>;
  /**
   * Relative cost of decoding one band over a window (source pixels per scene pixel), present
   * when each band is decoded on its own (one file per band), so that bands can be read in
   * parallel by different workers.
   */
  bandCost?(band: BandName): number;
  close(): Promise<void>;
}
