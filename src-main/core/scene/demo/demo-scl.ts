/**
 * The demo scene's L2A scene classification layer (SCL), derived from what the generator knows
 * of each pixel, with the Sen2Cor codes of the classes it can tell apart. It is stored as the
 * stack's 13th band, described "SCL", so the demo exercises the cloud, shadow and snow masks.
 */
import { DEMO_CLASS } from './demo-spectra.ts';
import type { GroundSample } from './ground-sample.ts';

/** Sen2Cor SCL codes the demo uses (no saturated, dark-area, unclassified or cirrus pixels). */
export const DEMO_SCL = {
  noData: 0,
  cloudShadow: 3,
  vegetation: 4,
  notVegetated: 5,
  water: 6,
  cloudMedium: 8,
  cloudHigh: 9,
  snow: 11,
} as const;

/** Cloud opacity from which a pixel is cloud of high (≥ 0.5, also the truth's cloud) or medium probability. */
const CLOUD_HIGH = 0.5;
const CLOUD_MEDIUM = 0.25;
/** Shadow opacity from which a cloud's shadow is classified. */
const SHADOW = 0.5;

/** The SCL code of a sampled pixel: nodata, then cloud, cloud shadow, then the ground's class. */
export function demoSclCode(g: GroundSample): number {
  if (g.n === 0) return DEMO_SCL.noData;
  if (g.cloud >= CLOUD_HIGH) return DEMO_SCL.cloudHigh;
  if (g.cloud >= CLOUD_MEDIUM) return DEMO_SCL.cloudMedium;
  if (g.cloudShadow >= SHADOW) return DEMO_SCL.cloudShadow;
  switch (g.truth) {
    case DEMO_CLASS.snow: return DEMO_SCL.snow;
    case DEMO_CLASS.water: return DEMO_SCL.water;
    case DEMO_CLASS.forest:
    case DEMO_CLASS.cropland: return DEMO_SCL.vegetation;
    default: return DEMO_SCL.notVegetated;
  }
}
