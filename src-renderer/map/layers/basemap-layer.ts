/**
 * OpenStreetMap under the scene, when the network allows: after a few failed tiles and none
 * loaded, the layer hides itself and the map carries on without it.
 */
import TileLayer from 'ol/layer/Tile.js';
import OSM from 'ol/source/OSM.js';

export type BasemapStatus = 'loading' | 'online' | 'offline';

export interface BasemapLayer {
  layer: TileLayer<OSM>;
  onStatus(listener: (s: BasemapStatus) => void): () => void;
}

export function createBasemapLayer(): BasemapLayer {
  const source = new OSM({ transition: 0, crossOrigin: 'anonymous' });
  const layer = new TileLayer({ source, zIndex: 0, opacity: 0.55, className: 'basemap-layer', preload: 0 });
  const listeners = new Set<(s: BasemapStatus) => void>();
  let loaded = 0;
  let failed = 0;
  let status: BasemapStatus = 'loading';
  const set = (s: BasemapStatus): void => {
    if (s === status) return;
    status = s;
    layer.setVisible(s !== 'offline');
    for (const l of listeners) l(s);
  };
  source.on('tileloadend', () => { loaded++; set('online'); });
  source.on('tileloaderror', () => { failed++; if (loaded === 0 && failed >= 2) set('offline'); });
  return {
    layer,
    onStatus(listener) {
      listeners.add(listener);
      listener(status);
      return () => { listeners.delete(listener); };
    },
  };
}
