/**
 * The map's state owner: the OpenLayers map, the scene's tile geometry, and what the analyst is
 * pointing at (hovered and selected tile, cursor position). Components read it; actions write it.
 * While the view frames the whole scene (and the analyst hasn't panned or zoomed since), a change
 * of the map's size frames it again.
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

/** Neighbouring tiles kept in view on each side of a tile zoomed to. */
const NEIGHBOURS = 2;

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
  /** The view frames the whole scene: nobody moved it since fitScene. */
  fitted = $state(false);
  /** How the scene sits in the view after the last move (see #frameOf). */
  frame = $state.raw<{ inView: boolean; fill: number; tilePx: number }>({ inView: false, fill: 0, tilePx: 0 });
  #fitting = false;
  #unwatch: (() => void) | null = null;
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
    this.map.on('moveend', () => {
      this.zoom = this.map.getView().getZoom() ?? this.zoom;
      this.frame = this.#frameOf();
    });
    this.map.on('loadstart', () => { this.loading = true; });
    this.map.on('loadend', () => { this.loading = false; });
    this.map.on('change:size', () => { if (this.fitted) this.fitScene(); });
    // A drag or a wheel turn frames something else than the scene.
    this.map.on('pointerdrag', () => { this.fitted = false; });
    this.map.getViewport()?.addEventListener('wheel', () => { this.fitted = false; }, { passive: true });
    this.#watchView();
  }

  /** Any move of the view that fitScene didn't make means the analyst framed something else. */
  #watchView(): void {
    this.#unwatch?.();
    const view = this.map.getView();
    const moved = (): void => { if (!this.#fitting) this.fitted = false; };
    view.on('change:center', moved);
    view.on('change:resolution', moved);
    this.#unwatch = () => { view.un('change:center', moved); view.un('change:resolution', moved); };
  }

  /** Switches the map to the scene's CRS and frames it. */
  showScene(scene: SceneSummary, tiling?: { size: number; stride: number }): void {
    const projection = sceneProjection(scene);
    const sameCrs = this.projection === projection;
    this.geometry = makeTileGeometry(scene, tiling);
    this.projection = String(projection);
    if (!sameCrs) {
      this.map.setView(new View({ projection, center: [0, 0], zoom: 2, constrainResolution: false }));
      this.#watchView();
    }
    this.fitScene();
  }

  setTiling(scene: SceneSummary, tiling: { size: number; stride: number }): void {
    this.geometry = makeTileGeometry(scene, tiling);
  }

  fitScene(): void {
    const g = this.geometry;
    if (!g) return;
    this.fitted = true;
    if (!this.map.getSize()) return; // framed once the map has a size
    this.#fitting = true;
    try {
      this.map.getView().fit(boundingExtent(g.footprint()), { padding: [40, 40, 40, 40], duration: 0 });
    } finally {
      this.#fitting = false;
    }
  }

  /** How the scene sits in the view: all of it in view, the share of the map's width or height it fills, a tile's width in screen pixels. */
  #frameOf(): { inView: boolean; fill: number; tilePx: number } {
    const g = this.geometry;
    const size = this.map.getSize();
    if (!g || !size) return { inView: false, fill: 0, tilePx: 0 };
    const view = this.map.getView().calculateExtent(size);
    const [minX, minY, maxX, maxY] = boundingExtent(g.footprint());
    const eps = 1e-6 * (maxX - minX);
    const inView = view[0] <= minX + eps && view[1] <= minY + eps && view[2] >= maxX - eps && view[3] >= maxY - eps;
    const [a, b] = g.ring(0, 0);
    const tilePx = Math.hypot(b[0] - a[0], b[1] - a[1]) / (this.map.getView().getResolution() ?? 1);
    return { inView, fill: Math.max((maxX - minX) / (view[2] - view[0]), (maxY - minY) / (view[3] - view[1])), tilePx };
  }

  zoomToTile(tile: string, opts: { select?: boolean } = {}): void {
    const g = this.geometry;
    const rc = parseTileId(tile);
    if (!g || !rc) return;
    if (opts.select !== false) this.selected = tileIdOf(rc.row, rc.col);
    this.fitted = false;
    // The tile with two neighbours on every side: about five tiles across the map's short side.
    const extent = boundingExtent([...g.ring(rc.row - NEIGHBOURS, rc.col - NEIGHBOURS), ...g.ring(rc.row + NEIGHBOURS, rc.col + NEIGHBOURS)]);
    this.map.getView().fit(extent, { padding: [24, 24, 24, 24], duration: 350, maxZoom: 22 });
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
