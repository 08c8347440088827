/**
 * Surface reflectance spectra for the synthetic Sentinel-2 L2A demo scene, per band, per
 * material, and the ground-truth class legend.
 *
 * Where the numbers come from. They are representative, hand-rounded bottom-of-atmosphere
 * reflectances at the twelve L2A band centres, not an exact resampling computed here. The shape
 * of each curve follows laboratory and field spectra of the matching materials in
 *  - USGS Spectral Library Version 7 (Kokaly et al. 2017, U.S. Geological Survey Data Series
 *    1035, doi:10.3133/ds1035): vegetation (conifer and aspen/oak canopies, grasses, wheat),
 *    soils, quartz sand, granite/limestone rock, asphalt, concrete, roofing, snow and water;
 *  - the ECOSTRESS spectral library (Meerdink et al. 2019, Remote Sensing of Environment 230,
 *    111196, doi:10.1016/j.rse.2019.05.015; successor of ASTER, Baldridge et al. 2009):
 *    man-made materials (asphalt, concrete, terracotta tile), soils and rocks;
 * read at the Sentinel-2A MSI spectral response functions (ESA document
 * COPE-GSEG-EOPG-TN-15-0007, v3.0) band centres. Their absolute levels were then set to
 * what Sen2Cor L2A products typically show for canopies and land covers rather than for
 * laboratory samples (canopy NIR around 0.25–0.45, red 0.02–0.05, water NIR below 0.02, snow
 * visible 0.7–0.95 with SWIR below 0.1, thick cloud 0.4–0.7 in all bands), as reported in L2A
 * validation work (Main-Knorn et al. 2017, Proc. SPIE 10427, doi:10.1117/12.2278218; Doxani et
 * al. 2018, Remote Sensing 10, 352, the ACIX intercomparison). B09 (945 nm,
 * water vapour) is given the lower, noisier values a corrected L2A B09 has; B01 (443 nm)
 * keeps a little residual aerosol path radiance over dark targets.
 *
 * Physical checks the demo tests rely on: water is dark with NIR/SWIR near 0; vegetation has a
 * red edge (B05 < B06 < B07) and high NIR (NDVI > 0.6 for forest and green crops); snow is very
 * bright in the visible and dark in B11/B12 (NDSI > 0.6); cloud is bright in every band
 * including B11; bare soil and sand are reddish with B11 > B08; built-up surfaces are flat and
 * grey-ish with NDBI = (B11 − B08)/(B11 + B08) > 0.
 */
import type { SpectralBand } from '../types.ts';

/** Band order of every spectrum here and of the demo scene: the 12 L2A bands, no B10. */
export const DEMO_BANDS: readonly SpectralBand[] = ['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B11', 'B12'];

/** Ground-truth class codes of the demo scene's truth raster. */
export const DEMO_CLASS = {
  nodata: 0,
  water: 1,
  forest: 2,
  cropland: 3,
  builtUp: 4,
  bare: 5,
  snow: 6,
  cloud: 7,
} as const;
export type DemoClassCode = (typeof DEMO_CLASS)[keyof typeof DEMO_CLASS];

/** Legend of the truth raster, in code order. */
export const DEMO_CLASSES: readonly { code: DemoClassCode; name: string }[] = [
  { code: 0, name: 'nodata' },
  { code: 1, name: 'water' },
  { code: 2, name: 'forest' },
  { code: 3, name: 'cropland' },
  { code: 4, name: 'built-up' },
  { code: 5, name: 'bare' },
  { code: 6, name: 'snow' },
  { code: 7, name: 'cloud' },
];

export type DemoMaterialId =
  | 'water-clear'
  | 'water-turbid'
  | 'forest-conifer'
  | 'forest-broadleaf'
  | 'crop-green'
  | 'crop-ripening'
  | 'grass'
  | 'builtup-asphalt'
  | 'builtup-concrete'
  | 'builtup-tile-roof'
  | 'bare-soil'
  | 'bare-sand'
  | 'bare-rock'
  | 'snow-fresh'
  | 'snow-old'
  | 'cloud-thick';

export interface DemoMaterial {
  id: DemoMaterialId;
  /** Truth class this material is labelled as. */
  classCode: DemoClassCode;
  description: string;
  /** Surface reflectance (0–1) per band, in DEMO_BANDS order. */
  reflectance: readonly number[];
}

// Columns:                 B01    B02    B03    B04    B05    B06    B07    B08    B8A    B09    B11    B12
/** The spectra table, one row per material. Reusable by other tests and fixtures. */
export const DEMO_SPECTRA: readonly DemoMaterial[] = [
  {
    id: 'water-clear',
    classCode: 1,
    description: 'clear, deep lake water',
    reflectance: [0.040, 0.034, 0.030, 0.015, 0.010, 0.006, 0.005, 0.004, 0.003, 0.002, 0.002, 0.001],
  },
  {
    id: 'water-turbid',
    classCode: 1,
    description: 'turbid, sediment-laden river and shore water',
    reflectance: [0.052, 0.056, 0.074, 0.064, 0.050, 0.020, 0.015, 0.012, 0.009, 0.005, 0.004, 0.003],
  },
  {
    id: 'forest-conifer',
    classCode: 2,
    description: 'closed conifer canopy (spruce/fir)',
    reflectance: [0.020, 0.018, 0.038, 0.017, 0.060, 0.170, 0.210, 0.230, 0.245, 0.225, 0.110, 0.048],
  },
  {
    id: 'forest-broadleaf',
    classCode: 2,
    description: 'closed broadleaf canopy (beech/oak), early summer',
    reflectance: [0.024, 0.025, 0.055, 0.024, 0.090, 0.260, 0.320, 0.350, 0.370, 0.340, 0.170, 0.075],
  },
  {
    id: 'crop-green',
    classCode: 3,
    description: 'green, closed crop (maize, sugar beet) in June',
    reflectance: [0.030, 0.034, 0.068, 0.032, 0.110, 0.300, 0.380, 0.420, 0.440, 0.410, 0.220, 0.105],
  },
  {
    id: 'crop-ripening',
    classCode: 3,
    description: 'ripening winter cereal, turning yellow',
    reflectance: [0.050, 0.055, 0.085, 0.092, 0.135, 0.200, 0.235, 0.265, 0.285, 0.270, 0.300, 0.205],
  },
  {
    id: 'grass',
    classCode: 3,
    description: 'meadow and pasture grass',
    reflectance: [0.034, 0.040, 0.075, 0.050, 0.110, 0.240, 0.300, 0.330, 0.350, 0.330, 0.240, 0.130],
  },
  {
    id: 'builtup-asphalt',
    classCode: 4,
    description: 'asphalt roads and car parks',
    reflectance: [0.080, 0.085, 0.095, 0.105, 0.115, 0.120, 0.125, 0.130, 0.135, 0.130, 0.155, 0.145],
  },
  {
    id: 'builtup-concrete',
    classCode: 4,
    description: 'dense centre: concrete, flat grey roofs and paving',
    reflectance: [0.150, 0.165, 0.185, 0.200, 0.215, 0.225, 0.232, 0.240, 0.248, 0.240, 0.275, 0.250],
  },
  {
    id: 'builtup-tile-roof',
    classCode: 4,
    description: 'residential: terracotta tile roofs mixed with paving',
    reflectance: [0.075, 0.085, 0.105, 0.135, 0.170, 0.190, 0.200, 0.210, 0.220, 0.215, 0.270, 0.235],
  },
  {
    id: 'bare-soil',
    classCode: 5,
    description: 'ploughed or fallow loamy soil',
    reflectance: [0.060, 0.070, 0.100, 0.140, 0.170, 0.190, 0.205, 0.220, 0.240, 0.235, 0.320, 0.270],
  },
  {
    id: 'bare-sand',
    classCode: 5,
    description: 'dry quartz sand (beach, river bar)',
    reflectance: [0.150, 0.180, 0.240, 0.300, 0.330, 0.350, 0.365, 0.380, 0.400, 0.390, 0.480, 0.420],
  },
  {
    id: 'bare-rock',
    classCode: 5,
    description: 'scree and bare rock (limestone/granite)',
    reflectance: [0.130, 0.145, 0.175, 0.205, 0.225, 0.237, 0.248, 0.258, 0.270, 0.262, 0.320, 0.280],
  },
  {
    id: 'snow-fresh',
    classCode: 6,
    description: 'fresh snow',
    reflectance: [0.900, 0.920, 0.900, 0.880, 0.860, 0.830, 0.800, 0.780, 0.750, 0.580, 0.070, 0.045],
  },
  {
    id: 'snow-old',
    classCode: 6,
    description: 'old, coarse-grained summer snow and firn',
    reflectance: [0.720, 0.720, 0.700, 0.670, 0.640, 0.600, 0.570, 0.540, 0.510, 0.380, 0.040, 0.030],
  },
  {
    id: 'cloud-thick',
    classCode: 7,
    description: 'thick water cloud',
    reflectance: [0.560, 0.550, 0.540, 0.550, 0.560, 0.570, 0.580, 0.590, 0.590, 0.360, 0.450, 0.350],
  },
];

/** Index of each material in DEMO_SPECTRA, for hot loops that work on indices. */
export const MATERIAL: Readonly<Record<DemoMaterialId, number>> = Object.fromEntries(
  DEMO_SPECTRA.map((m, i) => [m.id, i]),
) as Record<DemoMaterialId, number>;

/** The spectrum of a material by id. */
export function spectrumOf(id: DemoMaterialId): readonly number[] {
  return DEMO_SPECTRA[MATERIAL[id]].reflectance;
}
