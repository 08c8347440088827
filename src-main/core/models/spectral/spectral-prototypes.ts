/**
 * Concepts and prototype spectra of the built-in spectral model.
 *
 * Each concept has one or more prototype surface-reflectance spectra (Sentinel-2 L2A, 0..1) for
 * the bands the model reads. They are typical values of the kind listed in the USGS Spectral
 * Library Version 7 (Kokaly et al. 2017) and the ECOSTRESS library (Meerdink et al. 2019) once
 * resampled to MSI bands, and in the index literature the features come from: NDVI (Rouse et
 * al. 1974), MNDWI (Xu 2006), NDSI (Hall et al. 1995), NDBI (Zha et al. 2003), NBR (Key &
 * Benson 2006). The model classifies each pixel by its distance to these prototypes in index
 * space, so the numbers steer behaviour but no scene-specific fitting happens.
 */
export const SPECTRAL_CONCEPTS = ['water', 'forest', 'cropland', 'built-up', 'bare', 'snow', 'cloud', 'burned'] as const;
export type SpectralConcept = (typeof SPECTRAL_CONCEPTS)[number];

/** The bands a prototype lists, in this order. */
export const PROTOTYPE_BANDS = ['B02', 'B03', 'B04', 'B08', 'B11', 'B12'] as const;

export interface Prototype {
  concept: SpectralConcept;
  name: string;
  /** Reflectance in PROTOTYPE_BANDS order. */
  reflectance: readonly [number, number, number, number, number, number];
}

export const PROTOTYPES: readonly Prototype[] = [
  { concept: 'water', name: 'clear deep water', reflectance: [0.045, 0.035, 0.02, 0.01, 0.004, 0.003] },
  { concept: 'water', name: 'turbid or shallow water', reflectance: [0.07, 0.085, 0.065, 0.03, 0.01, 0.007] },
  { concept: 'water', name: 'dark water with glint', reflectance: [0.065, 0.055, 0.04, 0.025, 0.015, 0.012] },
  { concept: 'forest', name: 'coniferous forest', reflectance: [0.02, 0.035, 0.02, 0.22, 0.1, 0.045] },
  { concept: 'forest', name: 'broadleaf forest', reflectance: [0.03, 0.055, 0.03, 0.34, 0.16, 0.075] },
  { concept: 'cropland', name: 'green crop', reflectance: [0.04, 0.08, 0.045, 0.42, 0.22, 0.11] },
  { concept: 'cropland', name: 'grassland or pasture', reflectance: [0.05, 0.09, 0.07, 0.32, 0.25, 0.15] },
  { concept: 'cropland', name: 'ripening crop', reflectance: [0.07, 0.1, 0.11, 0.28, 0.3, 0.2] },
  { concept: 'built-up', name: 'dense urban fabric', reflectance: [0.09, 0.1, 0.11, 0.16, 0.18, 0.16] },
  { concept: 'built-up', name: 'concrete and bright roofs', reflectance: [0.15, 0.16, 0.17, 0.21, 0.24, 0.22] },
  { concept: 'built-up', name: 'suburban mix', reflectance: [0.07, 0.085, 0.09, 0.2, 0.19, 0.15] },
  { concept: 'bare', name: 'dry soil', reflectance: [0.1, 0.14, 0.19, 0.27, 0.36, 0.3] },
  { concept: 'bare', name: 'sand', reflectance: [0.16, 0.22, 0.28, 0.34, 0.42, 0.36] },
  { concept: 'bare', name: 'rock or scree', reflectance: [0.12, 0.15, 0.18, 0.23, 0.3, 0.26] },
  { concept: 'snow', name: 'fresh snow', reflectance: [0.85, 0.84, 0.82, 0.75, 0.08, 0.06] },
  { concept: 'snow', name: 'old or shaded snow', reflectance: [0.45, 0.45, 0.43, 0.4, 0.06, 0.05] },
  { concept: 'cloud', name: 'thick cloud', reflectance: [0.55, 0.54, 0.55, 0.58, 0.45, 0.32] },
  { concept: 'cloud', name: 'medium cloud', reflectance: [0.32, 0.31, 0.31, 0.36, 0.3, 0.22] },
  { concept: 'burned', name: 'recent burn scar', reflectance: [0.04, 0.05, 0.06, 0.11, 0.17, 0.16] },
];

/** Index-space features, each with the spread used to compare a pixel to a prototype. */
export const FEATURES = [
  { name: 'ndvi', spread: 0.12 },
  { name: 'mndwi', spread: 0.12 },
  { name: 'ndbi', spread: 0.1 },
  { name: 'nbr', spread: 0.12 },
  { name: 'log-brightness', spread: 0.35 },
  { name: 'redness', spread: 0.08 },
] as const;

/** Denominator floor of the normalised differences, so dark pixels don't blow up. */
export const ND_FLOOR = 0.002;
/** Offset inside the brightness logarithm. */
export const BRIGHTNESS_OFFSET = 0.01;

const nd = (a: number, b: number): number => (a - b) / Math.max(a + b, ND_FLOOR);

/** Computes the feature vector of one spectrum (the same formulas the ONNX graph uses). */
export function featuresOf(r: Prototype['reflectance']): number[] {
  const [b02, b03, b04, b08, b11, b12] = r;
  return [
    nd(b08, b04),
    nd(b03, b11),
    nd(b11, b08),
    nd(b08, b12),
    Math.log((b02 + b03 + b04) / 3 + BRIGHTNESS_OFFSET),
    nd(b04, b02),
  ];
}
