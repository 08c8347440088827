/**
 * The heat layer: tiles at or above the threshold are tinted by their score (a heat ramp over
 * the result's score range) and the rest are veiled, so the matches light up with their imagery
 * still visible. Threshold is a style variable; opacity is the layer's.
 */
import type Feature from 'ol/Feature.js';
import type Polygon from 'ol/geom/Polygon.js';
import WebGLVectorLayer from 'ol/layer/WebGLVector.js';
import VectorSource from 'ol/source/Vector.js';

/** The heat ramp (plasma), low to high, shared with the legend. */
export const HEAT_RAMP: [number, [number, number, number]][] = [
  [0, [13, 8, 135]], [0.25, [126, 3, 168]], [0.5, [204, 71, 120]], [0.75, [248, 149, 64]], [1, [240, 249, 33]],
];
/** How strongly a match is tinted, at the bottom and top of the range. */
const TINT = [0.1, 0.3];
/** The veil over tiles under the threshold. */
export const VEIL: [number, number, number, number] = [6, 8, 12, 0.62];

export interface ScoreLayer {
  layer: WebGLVectorLayer<VectorSource<Feature<Polygon>>>;
  /** Features carry `score` (raw) and `s` (0–1 within the result's range). */
  setFeatures(features: Feature<Polygon>[]): void;
  setThreshold(threshold: number): void;
}

export function createScoreLayer(): ScoreLayer {
  const source = new VectorSource<Feature<Polygon>>();
  const ramp = HEAT_RAMP.flatMap(([stop, [r, g, b]]) => [stop, [r, g, b, TINT[0] + (TINT[1] - TINT[0]) * stop]]);
  const layer = new WebGLVectorLayer({
    source,
    zIndex: 30,
    opacity: 1,
    className: 'score-layer',
    disableHitDetection: true,
    variables: { threshold: -1 },
    style: [
      { filter: ['>=', ['get', 'score'], ['var', 'threshold']], style: { 'fill-color': ['interpolate', ['linear'], ['get', 's'], ...ramp], 'stroke-color': [255, 255, 255, 0.22], 'stroke-width': 0.75 } },
      { filter: ['<', ['get', 'score'], ['var', 'threshold']], style: { 'fill-color': VEIL, 'stroke-color': [255, 255, 255, 0.06], 'stroke-width': 0.75 } },
    ],
  });
  return {
    layer,
    setFeatures(features) {
      source.clear(true);
      source.addFeatures(features);
    },
    setThreshold: (threshold) => layer.updateStyleVariables({ threshold }),
  };
}
