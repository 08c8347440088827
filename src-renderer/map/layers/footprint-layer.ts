/** The scene's outline, so the analyst sees where the data ends even before it has loaded. */
import Feature from 'ol/Feature.js';
import Polygon from 'ol/geom/Polygon.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import { Stroke, Style } from 'ol/style.js';
import type { Ring } from '../tile-geometry';

export function createFootprintLayer(): { layer: VectorLayer<VectorSource>; setRing(ring: Ring | null): void } {
  const source = new VectorSource();
  const layer = new VectorLayer({
    source,
    zIndex: 20,
    style: [
      new Style({ stroke: new Stroke({ color: 'rgba(0,0,0,0.55)', width: 4 }) }),
      new Style({ stroke: new Stroke({ color: '#f5c451', width: 1.5, lineDash: [8, 6] }) }),
    ],
  });
  return {
    layer,
    setRing(ring) {
      source.clear();
      if (ring) source.addFeature(new Feature(new Polygon([ring])));
    },
  };
}
