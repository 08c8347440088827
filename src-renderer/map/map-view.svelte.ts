/**
 * The map's state owner: the OpenLayers map, the scene's tile geometry, and what the analyst is
 * pointing at (hovered and selected tile, cursor position). Components read it; actions write it.
 */
import OlMap from 'ol/Map.js';
import View from 'ol/View.js';
import { defaults as defaultControls } from 'ol/control/defaults.js';
import ScaleLine from 'ol/control/ScaleLine.js';
import { boundingExtent } from 'ol/extent.js';
import { toLonLat } from 'ol/proj.js';
import type { SceneSummary } from '$api';
import { sceneProjection } from './projection';
import { makeTileGeometry, parseTileId, tileIdOf, type TileGeometry } from './tile-geometry';

export interface HoverInfo {
  tile: string;
  /** Pixel position in the map viewport. */
  pixel: [number, number];
}

export class MapView {
  readonly map: OlMap;
  /** The open scene's grid; null before a scene is open. */
  geometry = $state.raw<TileGeometry | null>(null);
  projection = $state<string>('EPSG:3857');
  hover = $state<HoverInfo | null>(null);
  selected = $state<string | null>(null);
  cursor = $state<[number, number] | null>(null);
  zoom = $state(2);
  /** Tiles (imagery, basemap) are loading. */
  loading = $state(false);
  /** A tile to point out without selecting it (a hovered result row). */
  focus = $state<string | null>(null);
  /** Set by the panel that owns map clicks (find similar), null when a click only selects. */
  clickHandler: ((tile: string, e: { negative: boolean }) => void) | null = null;

  constructor() {
    this.map = new OlMap({
      controls: defaultControls({ attributionOptions: { collapsible: true, collapsed: true }, rotate: false }).extend([
        new ScaleLine({ bar: true, steps: 4, text: false, minWidth: 110, className: 'ol-scale-bar' }),
      ]),
      view: new View({ center: [0, 0], zoom: 2 }),
    });
    this.map.on('pointermove', (e) => {
      if (e.dragging) return;
      const [x, y] = e.coordinate;
      this.cursor = toLonLat([x, y], this.map.getView().getProjection()) as [number, number];
      const t = this.geometry?.tileAt(x, y);
      this.hover = t ? { tile: tileIdOf(t.row, t.col), pixel: [e.pixel[0], e.pixel[1]] } : null;
    });
    this.map.getViewport()?.addEventListener('pointerleave', () => { this.hover = null; this.cursor = null; });
    this.map.on('singleclick', (e) => {
      const t = this.geometry?.tileAt(e.coordinate[0], e.coordinate[1]);
      if (!t) return;
      const tile = tileIdOf(t.row, t.col);
      this.selected = tile;
      this.clickHandler?.(tile, { negative: e.originalEvent.altKey || e.originalEvent.shiftKey });
    });
    this.map.on('moveend', () => { this.zoom = this.map.getView().getZoom() ?? this.zoom; });
    this.map.on('loadstart', () => { this.loading = true; });
    this.map.on('loadend', () => { this.loading = false; });
  }

  /** Switches the map to the scene's CRS and frames it. */
  showScene(scene: SceneSummary, tiling?: { size: number; stride: number }): void {
    const projection = sceneProjection(scene);
    const sameCrs = this.projection === projection;
    this.geometry = makeTileGeometry(scene, tiling);
    this.projection = String(projection);
    if (!sameCrs) this.map.setView(new View({ projection, center: [0, 0], zoom: 2, constrainResolution: false }));
    this.fitScene();
  }

  setTiling(scene: SceneSummary, tiling: { size: number; stride: number }): void {
    this.geometry = makeTileGeometry(scene, tiling);
  }

  fitScene(): void {
    const g = this.geometry;
    if (!g) return;
    this.map.getView().fit(boundingExtent(g.footprint()), { padding: [40, 40, 40, 40], duration: 0 });
  }

  zoomToTile(tile: string, opts: { select?: boolean } = {}): void {
    const g = this.geometry;
    const rc = parseTileId(tile);
    if (!g || !rc) return;
    if (opts.select !== false) this.selected = tileIdOf(rc.row, rc.col);
    const extent = boundingExtent(g.ring(rc.row, rc.col));
    const size = this.map.getSize();
    const pad = size ? Math.max(40, Math.min(size[0], size[1]) * 0.3) : 120;
    this.map.getView().fit(extent, { padding: [pad, pad, pad, pad], duration: 350, maxZoom: 22 });
  }

  /** Where a tile's centre is on screen (for tests and popups). */
  pixelOfTile(tile: string): [number, number] | null {
    const g = this.geometry;
    const rc = parseTileId(tile);
    if (!g || !rc) return null;
    const ring = g.ring(rc.row, rc.col);
    const cx = (ring[0][0] + ring[2][0]) / 2;
    const cy = (ring[0][1] + ring[2][1]) / 2;
    const p = this.map.getPixelFromCoordinate([cx, cy]);
    return p ? [p[0], p[1]] : null;
  }
}
