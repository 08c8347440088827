/**
 * The scene in true colour, read by OpenLayers from a file by byte ranges (the scene itself when
 * it is a GeoTIFF with overviews, else the preview mslens made of it): B04/B03/B02 with a linear
 * stretch and gamma held in style variables, so sliders never rebuild the style.
 */
import WebGLTileLayer from 'ol/layer/WebGLTile.js';
import GeoTIFF from 'ol/source/GeoTIFF.js';
import type { ProjectionLike } from 'ol/proj.js';
import type { SceneImagery, SceneStretch } from '$api';

export interface Stretch {
  min: number;
  max: number;
  gamma: number;
}

export interface SceneLayer {
  layer: WebGLTileLayer;
  setStretch(s: Stretch): void;
  /** Called once if the file cannot be read as imagery. */
  onError(listener: (message: string) => void): void;
  dispose(): void;
}

type Expr = (string | number | Expr)[];
/** (value − min) · scale, clamped to 0…1, then gamma. */
const channel = (band: number): Expr =>
  ['^', ['clamp', ['*', ['-', ['band', band], ['var', 'min']], ['var', 'scale']], 0, 1], ['var', 'invGamma']];

/** The style variables of a stretch (the shader multiplies rather than divides). */
const variables = (s: Stretch): Record<string, number> => ({ min: s.min, scale: 1 / Math.max(1, s.max - s.min), invGamma: 1 / Math.max(0.05, s.gamma) });

/** `url` serves `imagery.path`; `stretch` gives the nodata value (the preview keeps the scene's). */
export function createSceneLayer(url: string, imagery: SceneImagery, stretch: SceneStretch, projection: ProjectionLike, initial: Stretch): SceneLayer {
  const source = new GeoTIFF({
    sources: [{ url, bands: [...imagery.bands], nodata: stretch.nodata ?? 0 }],
    normalize: false,
    projection,
    interpolate: true,
    transition: 150,
    sourceOptions: { blockSize: 1 << 20, cacheSize: 256 },
  });
  const layer = new WebGLTileLayer({
    source,
    zIndex: 10,
    className: 'scene-layer',
    style: {
      variables: variables(initial),
      color: ['array', channel(1), channel(2), channel(3), ['/', ['band', 4], 255]],
    },
  });
  return {
    layer,
    setStretch: (s) => layer.updateStyleVariables(variables(s)),
    onError(listener) {
      source.on('change', () => {
        if (source.getState() === 'error') listener(source.getError()?.message ?? 'unknown error');
      });
    },
    dispose: () => { layer.dispose(); },
  };
}
