/** Typed context helpers for the MapView and the app's state. */
import { getContext, setContext } from 'svelte';
import type { MapView } from './map-view.svelte';

const KEY = Symbol('mslens.map-view');

export function setMapView(view: MapView): MapView {
  return setContext(KEY, view);
}

export function getMapView(): MapView {
  const view = getContext<MapView | undefined>(KEY);
  if (!view) throw new Error('getMapView() outside a map: wrap the component in the app that calls setMapView().');
  return view;
}
