/**
 * Tile outlines: the top-k hits (with their rank), find-similar examples (positive, negative),
 * and the selected and hovered tile.
 */
import type Feature from 'ol/Feature.js';
import type Polygon from 'ol/geom/Polygon.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import Point from 'ol/geom/Point.js';
import { Fill, Stroke, Style, Text } from 'ol/style.js';
import type { FeatureLike } from 'ol/Feature.js';

export type OutlineKind = 'hit' | 'positive' | 'negative' | 'selected' | 'hover' | 'focus';

const COLORS: Record<OutlineKind, string> = {
  hit: '#38d9f5',
  positive: '#3ddc84',
  negative: '#ff5c6c',
  selected: '#ffffff',
  hover: 'rgba(255,255,255,0.7)',
  focus: '#ffffff',
};

const halo = new Stroke({ color: 'rgba(0,0,0,0.6)', width: 4 });

function styleFor(f: FeatureLike, resolution: number): Style[] {
  const kind = f.get('kind') as OutlineKind;
  const width = kind === 'selected' || kind === 'focus' ? 2.5 : kind === 'hover' ? 1.25 : 2;
  const styles = [
    new Style({ stroke: halo, zIndex: 1 }),
    new Style({ stroke: new Stroke({ color: COLORS[kind], width, lineDash: kind === 'hover' ? [4, 4] : kind === 'focus' ? [6, 3] : undefined }), zIndex: 2 }),
  ];
  const label = f.get('label') as string | undefined;
  if (label && resolution < 60) {
    // The rank sits in the tile's upper-left corner, clear of what the tile shows.
    styles.push(new Style({
      geometry: (feature) => new Point((feature.getGeometry() as Polygon).getCoordinates()[0][0]),
      text: new Text({ text: label, font: '600 10.5px system-ui, sans-serif', textAlign: 'left', textBaseline: 'top', offsetX: 2, offsetY: 2, fill: new Fill({ color: '#0b0f14' }), backgroundFill: new Fill({ color: COLORS[kind] }), padding: [1, 3, 0, 3] }),
      zIndex: 3,
    }));
  }
  return styles;
}

export function createOutlineLayer(zIndex = 40): { layer: VectorLayer<VectorSource<Feature<Polygon>>>; setFeatures(features: Feature<Polygon>[]): void } {
  const source = new VectorSource<Feature<Polygon>>();
  const layer = new VectorLayer({ source, zIndex, style: styleFor, updateWhileAnimating: true, updateWhileInteracting: true });
  return {
    layer,
    setFeatures(features) {
      source.clear(true);
      source.addFeatures(features);
    },
  };
}
