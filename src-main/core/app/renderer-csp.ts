/**
 * The renderer's Content-Security-Policy, sent by both fronts with index.html (and repeated in
 * its meta tag): scripts only from the app, no inline script, data from the app's own origin,
 * basemap tiles from OpenStreetMap.
 */
export const RENDERER_CSP = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: https://tile.openstreetmap.org", "connect-src 'self' data: app://mslens", "worker-src 'self' blob:",
  "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');
