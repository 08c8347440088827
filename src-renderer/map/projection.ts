/** The scene's CRS as an OpenLayers projection, from the proj4 definition core reports. */
import proj4 from 'proj4';
import { register } from 'ol/proj/proj4.js';
import { get as getProjection, type ProjectionLike } from 'ol/proj.js';
import type { SceneSummary } from '$api';

export function sceneProjection(scene: SceneSummary): ProjectionLike {
  const code = `EPSG:${scene.crs.epsg}`;
  if (!getProjection(code)) {
    proj4.defs(code, scene.crs.proj4);
    register(proj4);
  }
  return code;
}
