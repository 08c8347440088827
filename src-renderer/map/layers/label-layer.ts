/**
 * Zero-shot labels: every tile filled with its class colour. Colours come by palette index
 * (`ci`), so a new class list never rebuilds the style; tiles whose top probability is under
 * the `minProb` variable stay clear; "uncertain" tiles (no palette index) are a faint grey.
 */
import type Feature from 'ol/Feature.js';
import type Polygon from 'ol/geom/Polygon.js';
import WebGLVectorLayer from 'ol/layer/WebGLVector.js';
import VectorSource from 'ol/source/Vector.js';
import { PALETTE_SIZE, paletteColor } from '../../lib/class-colors';

export interface LabelLayer {
  layer: WebGLVectorLayer<VectorSource<Feature<Polygon>>>;
  /** Features carry `ci` (palette index) and `p` (top probability). */
  setFeatures(features: Feature<Polygon>[]): void;
  setMinProb(p: number): void;
}

export function createLabelLayer(): LabelLayer {
  const source = new VectorSource<Feature<Polygon>>();
  const cases = Array.from({ length: PALETTE_SIZE }, (_, i) => [i, [...paletteColor(i), 1]]).flat();
  const layer = new WebGLVectorLayer({
    source,
    zIndex: 30,
    opacity: 0.55,
    className: 'label-layer',
    disableHitDetection: true,
    variables: { minProb: 0 },
    style: [{
      filter: ['>=', ['get', 'p'], ['var', 'minProb']],
      style: { 'fill-color': ['match', ['get', 'ci'], ...cases, [128, 128, 128, 0.45]], 'stroke-color': [0, 0, 0, 0.25], 'stroke-width': 0.75 },
    }],
  });
  return {
    layer,
    setFeatures(features) {
      source.clear(true);
      source.addFeatures(features);
    },
    setMinProb: (minProb) => layer.updateStyleVariables({ minProb }),
  };
}
